import Crypto
import CustodyCore
import Dispatch
import Zip

/// Entry bytes, read with `pread` through two fixed buffers.
extension ZipReader {
    /// At most `limit` bytes of `entry`, for small files read whole (tag files).
    public func contents(_ entry: ZipEntry, limit: Int) throws -> [UInt8] {
        guard entry.size <= UInt64(limit) else {
            throw BundleFailure(.bagit, "\(entry.name) is \(entry.size) bytes, more than the \(limit) read for it",
                                entry: entry.name)
        }
        return try read(at: entry.dataOffset, count: Int(entry.size), what: "data of \(entry.name)")
    }

    /// The CRC-32 and SHA-256 of `entry`'s data, in one read. For large entries the two run on two
    /// threads, and the next piece is read while the SHA-256 of this one is computed: verifying costs
    /// about what hashing the file alone does. `progress` gets the bytes done in this entry.
    public func digests(_ entry: ZipEntry, buffers: ReadBuffers,
                        progress: (UInt64) -> Void = { _ in }) throws -> (crc: UInt32, sha256: SHA256Digest) {
        let sha = SHA256()
        var crc = CRC32()
        var done: UInt64 = 0
        var current = buffers.first, next = buffers.second
        var filled = try fill(current, entry, from: 0)
        while filled > 0 {
            let piece = UnsafeRawBufferPointer(rebasing: current[0..<filled])
            let position = done + UInt64(filled)
            var nextFilled = 0
            var readError: (any Error)?
            if filled < ReadBuffers.parallelThreshold {
                sha.update(piece)
                crc.update(piece)
                nextFilled = try fill(next, entry, from: position)
            } else {
                let work = Unchecked(value: (self, sha, piece, next))
                nonisolated(unsafe) var crcCopy = crc
                nonisolated(unsafe) var result = 0
                nonisolated(unsafe) var error: (any Error)?
                DispatchQueue.concurrentPerform(iterations: 2) { lane in
                    if lane == 0 {
                        work.value.1.update(work.value.2)
                    } else {
                        crcCopy.update(work.value.2)
                        do { result = try work.value.0.fill(work.value.3, entry, from: position) } catch let e {
                            error = e
                        }
                    }
                }
                crc = crcCopy
                nextFilled = result
                readError = error
            }
            if let readError { throw readError }
            done = position
            progress(done)
            swap(&current, &next)
            filled = nextFilled
        }
        guard done == entry.size else {
            throw BundleFailure(.zip, "the file ended inside entry \(entry.name)", entry: entry.name)
        }
        return (crc.value, sha.finalize())
    }

    /// Reads the entry's bytes from `offset` (within the entry) into `buffer`; 0 at the entry's end.
    private func fill(_ buffer: UnsafeMutableRawBufferPointer, _ entry: ZipEntry, from offset: UInt64) throws -> Int {
        let count = Int(min(UInt64(buffer.count), entry.size - offset))
        guard count > 0 else { return 0 }
        return try pread(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count]),
                         at: entry.dataOffset + offset)
    }
}

/// The two buffers entry data is read through: allocated once, whatever the archive's size.
public final class ReadBuffers {
    static let size = 4 << 20
    static let parallelThreshold = 256 << 10
    let first: UnsafeMutableRawBufferPointer
    let second: UnsafeMutableRawBufferPointer

    public init() {
        first = .allocate(byteCount: Self.size, alignment: 4096)
        second = .allocate(byteCount: Self.size, alignment: 4096)
    }

    deinit {
        first.deallocate()
        second.deallocate()
    }
}
