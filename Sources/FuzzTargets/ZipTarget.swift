import CourtBundle
import CustodyCore
import Foundation
import POSIX

/// The bundle verifier's ZIP reader on a file holding the input: what it accepts must tile the file
/// as it promises, with names that cannot leave a folder, and every entry's data must be readable.
extension FuzzTarget {
    static let zipReader = FuzzTarget(
        name: "zip-reader", summary: "ZipReader (end records, ZIP64, central directory, local headers) and digests",
        dictionary: ["PK\u{03}\u{04}", "PK\u{01}\u{02}", "PK\u{05}\u{06}", "PK\u{06}\u{06}", "PK\u{06}\u{07}",
                     "PK\u{07}\u{08}", "\u{FF}\u{FF}\u{FF}\u{FF}", "\u{01}\u{00}", "../", "/"]
    ) { bytes in
        try ZipScratch.shared.withFile(bytes) { path in
            let reader: ZipReader
            do {
                reader = try ZipReader(path: path, limits: .init(maxEntries: 64, maxNameBytes: 256,
                                                                 maxDirectoryBytes: 1 << 16))
            } catch let failure as BundleFailure {
                return .refused(failure.step.rawValue)
            } catch let error as CustodyError where error.field == "zip" {
                return .refused("not a zip")
            }
            try checkTiling(reader)
            for entry in reader.entries where !entry.isFolder {
                let (crc, _) = try reader.digests(entry, buffers: ZipScratch.shared.buffers)
                if crc != entry.crc { return .refused("crc") }
            }
            return .accepted
        }
    }

    /// The promises of `ZipReader`'s documentation, checked on what it accepted.
    static func checkTiling(_ reader: ZipReader) throws {
        var previousEnd: UInt64 = 0
        for entry in reader.entries {
            guard entry.headerOffset == previousEnd, entry.dataOffset >= entry.headerOffset + 30,
                  entry.dataOffset <= entry.end, entry.size <= entry.end - entry.dataOffset,
                  entry.end <= reader.fileSize else {
                throw FuzzFailure("entry \(entry.name.debugDescription) at \(entry.headerOffset)..<\(entry.end) "
                                  + "leaves a gap, overlaps or leaves the file")
            }
            previousEnd = entry.end
            let parts = entry.name.split(separator: "/", omittingEmptySubsequences: false)
            guard !entry.name.hasPrefix("/"), !parts.contains(".."), !entry.name.contains("\\"),
                  !entry.name.contains("\0") else {
                throw FuzzFailure("entry name \(entry.name.debugDescription) was accepted")
            }
        }
    }
}

/// The file the ZIP target writes each input to (the reader takes a path), and the read buffers,
/// allocated once. One input at a time: the lock keeps concurrent callers apart.
final class ZipScratch: @unchecked Sendable {
    static let shared = ZipScratch()
    /// In memory where there is a tmpfs (`/dev/shm`): the target writes a file per input.
    let path = (FS.exists("/dev/shm") ? "/dev/shm" : FileManager.default.temporaryDirectory.path)
        + "/custody-fuzz-\(getpid()).zip"
    let buffers = ReadBuffers()
    private let lock = NSLock()

    func withFile(_ bytes: [UInt8], _ body: (String) throws -> FuzzOutcome) throws -> FuzzOutcome {
        lock.lock()
        defer {
            unlink(path)
            lock.unlock()
        }
        let fd = try FS.open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        defer { close(fd) }
        try bytes.withUnsafeBytes { try FS.writeAll(fd, $0, path: path) }
        return try body(path)
    }
}
