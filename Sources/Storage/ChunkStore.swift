import CustodyCore
import POSIX
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Immutable content-addressed storage for chunks of evidence, named by their SHA-256.
///
/// The file store is the first implementation; an S3-compatible store with Object Lock can follow.
/// Writes are staged: `put` may return before the bytes are durable, `sync` makes every staged
/// chunk durable and visible. A chunk that already exists is never rewritten.
public protocol ChunkStore: AnyObject {
    /// Stages `bytes` under `digest`. The caller guarantees `digest` is the SHA-256 of `bytes`. The
    /// store must have written or copied `bytes` when it returns: the caller reuses the buffer.
    func put(_ digest: SHA256Digest, _ bytes: UnsafeRawBufferPointer) throws
    /// Makes every staged chunk durable; when it returns they survive a crash or power loss.
    func sync() throws
    /// Reads a whole chunk into `buffer` (which must be large enough); returns its length.
    /// Throws `ChunkStoreError.missing` when there is no such chunk.
    func read(_ digest: SHA256Digest, into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// True when a durable chunk with this name exists.
    func contains(_ digest: SHA256Digest) -> Bool
    /// Removes staged files left by processes that died before `sync`.
    func removeAbandonedTemporaries() throws -> Int
    /// Takes each durable file at `path` (whose SHA-256 the caller computed: `digest`) as a chunk,
    /// durably, without copying where the store can; the files are gone afterwards. A file may be
    /// gone already when the store holds its chunk (a batch interrupted and run again): the chunk
    /// is then made durable if it is not yet.
    func adopt(_ files: [(path: String, digest: SHA256Digest)]) throws
    /// Chunks found damaged by `put` or `adopt` and replaced with good bytes since the last call, so
    /// the caller can record it: the damage would otherwise leave no trace.
    func takeRepaired() -> [SHA256Digest]
}

extension ChunkStore {
    public func takeRepaired() -> [SHA256Digest] { [] }

    /// Any store: read each file and put it.
    public func adopt(_ files: [(path: String, digest: SHA256Digest)]) throws {
        for file in files {
            if !FS.exists(file.path) && contains(file.digest) { continue }
            try adoptByCopy(file.path, as: file.digest)
        }
    }

    public func adopt(_ path: String, as digest: SHA256Digest) throws {
        try adopt([(path, digest)])
    }

    /// Reads the file, puts and syncs it, then removes the file.
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

public enum ChunkStoreError: Error, CustomStringConvertible, Equatable {
    case missing(SHA256Digest)
    case tooLarge(SHA256Digest, Int)
    case notAFile(SHA256Digest)

    public var description: String {
        switch self {
        case .missing(let d): return "chunk \(d) is missing from the store"
        case .tooLarge(let d, let n): return "chunk \(d) is larger (\(n) bytes) than the chunk size"
        case .notAFile(let d): return "chunk \(d) is not a regular file"
        }
    }
}
