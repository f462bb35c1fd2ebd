import CustodyCore
import POSIX
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension FileChunkStore {
    public func read(_ digest: SHA256Digest, range: Range<Int>, into buffer: UnsafeMutableRawBufferPointer) throws {
        precondition(buffer.count >= range.count, "the buffer holds \(buffer.count) bytes, not \(range.count)")
        let (fd, size) = try openChunk(digest)
        defer { close(fd) }
        guard range.lowerBound >= 0, range.upperBound <= size else {
            throw ChunkStoreError.outOfRange(digest, range, size: size)
        }
        var done = 0
        while done < range.count {
            let n = try systemCall("pread", path: path(for: digest)) {
                pread(fd, buffer.baseAddress! + done, range.count - done, off_t(range.lowerBound + done))
            }
            // The file is shorter than fstat said: it changed under us, and ends here.
            if n == 0 { throw ChunkStoreError.outOfRange(digest, range, size: range.lowerBound + done) }
            done += n
        }
    }

    /// True when the chunk's file is there; an error other than "no such file" throws.
    public func exists(_ digest: SHA256Digest) throws -> Bool {
        let file = path(for: digest)
        var st = stat()
        if stat(file, &st) == 0 { return true }
        if errno == ENOENT { return false }
        throw SystemError(call: "stat", path: file, errno: errno)
    }
}
