import CustodyCore
import POSIX
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension ChunkStore {
    public func adopt(_ files: [(path: String, digest: SHA256Digest)]) throws {
        try adoptByCopy(files)
    }

    public func takeRepaired() -> [SHA256Digest] { [] }

    /// Takes one durable file as a chunk: `adopt` of a batch of one.
    public func adopt(_ path: String, as digest: SHA256Digest) throws {
        try adopt([(path, digest)])
    }

    /// Reads each file (at most `ChunkSize.maximum` bytes) and puts it, syncs, and only then removes the
    /// files: killed at any point, every piece is still a file or a durable chunk.
    public func adoptByCopy(_ files: [(path: String, digest: SHA256Digest)]) throws {
        let largest = files.map { (try? FS.fileSize($0.path)) ?? 0 }.max() ?? 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(min(max(largest, 1), Int64(ChunkSize.maximum))),
                                                            alignment: 4096)
        defer { buffer.deallocate() }
        var taken: [String] = []
        // A failed put ends the copy; what was staged is synced or dropped, so the store's next writer starts clean.
        var done = false
        defer { if !done { _ = try? sync() } }
        for (path, digest) in files {
            guard FS.exists(path) else {
                guard try exists(digest) else { throw ChunkStoreError.missing(digest) }
                continue
            }
            let size = try FS.fileSize(path)
            guard size <= Int64(buffer.count) else { throw ChunkStoreError.tooLarge(digest, Int(size)) }
            let fd = try FS.open(path, O_RDONLY | O_CLOEXEC)
            defer { close(fd) }
            let n = try FS.readFull(fd, buffer, path: path)
            try put(digest, UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            taken.append(path)
        }
        done = true
        try sync()
        for path in taken { unlink(path) }
    }
}
