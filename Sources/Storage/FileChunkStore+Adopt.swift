import CustodyCore
import POSIX
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension FileChunkStore {
    /// Takes one durable file as a chunk: `adopt` of a batch of one.
    public func adopt(_ path: String, as digest: SHA256Digest) throws {
        try adopt([(path, digest)])
    }

    /// Reads the file, puts and syncs it, then removes the file: for a file on another filesystem.
    func adoptByCopy(_ path: String, as digest: SHA256Digest) throws {
        let size = Int(try FS.fileSize(path))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 16)
        defer { buffer.deallocate() }
        let fd = try FS.open(path, O_RDONLY)
        defer { close(fd) }
        let n = try FS.readFull(fd, buffer, path: path)
        try put(digest, UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        try sync()
        unlink(path)
    }
}
