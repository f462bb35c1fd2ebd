import CustodyCore
import POSIX
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Reads a ZIP archive of stored entries as custody writes it (Zip/README.md), trusting none of it:
/// the end records (ZIP64 too), every central-directory entry checked against its local header, the
/// entries tiling the file from offset 0 to the central directory with no gap or overlap, and names
/// that cannot escape a folder. Sizes are bounded before anything is allocated (`Limits`), so a
/// hostile file is refused with a clear error. Entry data is read with `pread`, never all at once.
///
/// Errors: a file that is no ZIP at all (too short, no end record) is `invalidInput` (field `zip`);
/// a ZIP whose records disagree or break a rule is a `BundleFailure` of step `zip`.
public final class ZipReader {
    public struct Limits: Sendable {
        public var maxEntries: Int
        public var maxNameBytes: Int
        public var maxDirectoryBytes: UInt64
        public init(maxEntries: Int = 2_000_000, maxNameBytes: Int = 1024, maxDirectoryBytes: UInt64 = 512 << 20) {
            self.maxEntries = maxEntries
            self.maxNameBytes = maxNameBytes
            self.maxDirectoryBytes = maxDirectoryBytes
        }
    }

    public let path: String
    public let fileSize: UInt64
    /// In archive order (by local header offset).
    public private(set) var entries: [ZipEntry] = []
    let fd: Int32

    public init(path: String, limits: Limits = Limits()) throws {
        self.path = path
        do {
            fd = try FS.open(path, O_RDONLY)
        } catch let error as SystemError where error.errno == ENOENT {
            throw CustodyError.notFound(.file, "no file at \(path)")
        } catch {
            throw CustodyError.invalidInput(field: "zip", "\(path) cannot be opened: \(error)")
        }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw CustodyError.invalidInput(field: "zip", "\(path) is no regular file")
        }
        fileSize = UInt64(st.st_size)
        do {
            let end = try ZipEnd.find(self)
            entries = try readDirectory(end, limits: limits)
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    /// Exactly `count` bytes at `offset`; past the end of the file is a `zip` failure.
    func read(at offset: UInt64, count: Int, what: String) throws -> [UInt8] {
        guard offset <= fileSize, UInt64(count) <= fileSize - offset else {
            throw BundleFailure(.zip, "the \(what) at offset \(offset) lies past the end of the file")
        }
        var out = [UInt8](repeating: 0, count: count)
        let n = try out.withUnsafeMutableBytes { try pread(into: $0, at: offset) }
        guard n == count else { throw BundleFailure(.zip, "the file ended inside the \(what) at offset \(offset)") }
        return out
    }

    /// Fills `buffer` from `offset` on, stopping early only at the end of the file; EINTR is retried.
    func pread(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int {
        var done = 0
        while done < buffer.count {
            let n = Glibc.pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw CustodyError.failure("reading \(path) failed",
                                           cause: SystemError(call: "pread", path: path, errno: errno))
            }
            if n == 0 { break }
            done += n
        }
        return done
    }
}

/// One stored file (or folder) of the archive, as its central directory and local header agree.
public struct ZipEntry: Sendable {
    public let name: String
    public let headerOffset: UInt64
    public let dataOffset: UInt64
    public let size: UInt64
    public let crc: UInt32
    /// Where the entry (header, data, data descriptor) ends.
    public let end: UInt64
    public var isFolder: Bool { name.hasSuffix("/") }
}

/// Little-endian fields out of a record.
struct LittleEndian {
    let bytes: [UInt8]
    var at: Int

    init(_ bytes: [UInt8], at: Int = 0) {
        self.bytes = bytes
        self.at = at
    }

    var remaining: Int { bytes.count - at }

    mutating func u16() -> UInt16 { UInt16(truncatingIfNeeded: take(2)) }
    mutating func u32() -> UInt32 { UInt32(truncatingIfNeeded: take(4)) }
    mutating func u64() -> UInt64 { take(8) }

    private mutating func take(_ n: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<n { v |= UInt64(bytes[at + i]) << (8 * i) }
        at += n
        return v
    }
}
