import CustodyCore

/// Immutable content-addressed storage for chunks of evidence, named by their SHA-256.
///
/// The file store is the first implementation; an S3-compatible store with Object Lock can follow.
/// Writes are staged: `put` may return before the bytes are durable, `sync` makes every staged
/// chunk durable and visible. A chunk that already exists is never rewritten.
public protocol ChunkStore: AnyObject {
    /// Stages `bytes` under `digest`. The caller guarantees `digest` is the SHA-256 of `bytes`.
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
}

public enum ChunkStoreError: Error, CustomStringConvertible, Equatable {
    case missing(SHA256Digest)
    case tooLarge(SHA256Digest, Int)

    public var description: String {
        switch self {
        case .missing(let d): return "chunk \(d) is missing from the store"
        case .tooLarge(let d, let n): return "chunk \(d) is larger (\(n) bytes) than the chunk size"
        }
    }
}
