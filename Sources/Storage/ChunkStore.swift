import CustodyCore
import Crypto

/// Immutable content-addressed storage for chunks of evidence, each named by the SHA-256 of its
/// bytes: what any store can do, a directory of files or an S3-compatible bucket with Object Lock.
///
/// Writes are staged: `put` may return before the bytes are durable, `sync` makes every staged
/// chunk durable and visible. A chunk that already exists is never rewritten through this protocol
/// (the file store's repair of a damaged file is its own: see `FileChunkStore`). Reads hand back the
/// stored bytes as they are; `readChecked` also checks them against their name.
public protocol ChunkStore: AnyObject {
    /// Stages `bytes` under `digest`. The caller guarantees `digest` is the SHA-256 of `bytes`. The
    /// store must have written or copied `bytes` when it returns: the caller reuses the buffer.
    /// Idempotent: putting a chunk the store holds or has staged stores nothing twice.
    func put(_ digest: SHA256Digest, _ bytes: UnsafeRawBufferPointer) throws
    /// Makes every staged chunk durable and visible; when it returns they survive a crash or power loss.
    func sync() throws
    /// Reads a whole chunk into `buffer`; returns its length. Throws `ChunkStoreError.missing` when
    /// there is no such chunk, `.tooLarge` when it does not fit in `buffer`.
    func read(_ digest: SHA256Digest, into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// Reads the bytes `range` of a chunk into the start of `buffer`, which must hold `range.count`
    /// bytes. Throws `.missing` when there is no such chunk, `.outOfRange` when the range does not
    /// lie within it (an empty range at its end does).
    func read(_ digest: SHA256Digest, range: Range<Int>, into buffer: UnsafeMutableRawBufferPointer) throws
    /// True when a durable chunk with this name exists; throws when the store cannot tell.
    func exists(_ digest: SHA256Digest) throws -> Bool
    /// One page of the names of the durable chunks, in ascending order: those after `cursor` (from
    /// the first when nil), at most `limit` (> 0). Pass a page's last name as the next cursor; a page
    /// shorter than `limit` is the last.
    func list(after cursor: SHA256Digest?, limit: Int) throws -> [SHA256Digest]
    /// Removes a chunk for good (nothing may refer to it any more); a chunk that is not there is no
    /// error. A store that keeps chunks for a time (WORM storage, Object Lock) throws
    /// `ChunkStoreError.deletionRefused` and keeps it.
    func delete(_ digest: SHA256Digest) throws
    /// Reads a whole chunk as `read` does and checks it against its name: throws
    /// `ChunkStoreError.damaged` when its bytes hash to anything else.
    func readChecked(_ digest: SHA256Digest, into buffer: UnsafeMutableRawBufferPointer) throws
        -> UnsafeRawBufferPointer
    /// Takes durable files (an upload's pieces) as the chunks they are and removes them once the chunks
    /// are durable. A file that is gone was taken by an earlier, interrupted call: its chunk must be
    /// there. The file store renames them; any other store copies them (`adoptByCopy`).
    func adopt(_ files: [(path: String, digest: SHA256Digest)]) throws
    /// The chunks whose stored bytes were wrong (damaged, tampered with) and that a `put` or `adopt`
    /// replaced with the right ones since the last call: the caller records them, since `verify` will
    /// not see the damage afterwards.
    func takeRepaired() -> [SHA256Digest]
}

extension ChunkStore {
    public func readChecked(_ digest: SHA256Digest, into buffer: UnsafeMutableRawBufferPointer) throws
        -> UnsafeRawBufferPointer {
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<(try read(digest, into: buffer))])
        let actual = SHA256.hash(bytes)
        guard actual == digest else { throw ChunkStoreError.damaged(digest, actual: actual, size: bytes.count) }
        return bytes
    }
}

public enum ChunkStoreError: Error, CustomStringConvertible, Equatable {
    case missing(SHA256Digest)
    case tooLarge(SHA256Digest, Int)
    case notAFile(SHA256Digest)
    /// A ranged read past the end of the chunk, which has `size` bytes.
    case outOfRange(SHA256Digest, Range<Int>, size: Int)
    /// The stored bytes (`size` of them) hash to `actual`, not to the chunk's name.
    case damaged(SHA256Digest, actual: SHA256Digest, size: Int)
    /// The store keeps the chunk: `reason` says why (WORM storage, a retention lock).
    case deletionRefused(SHA256Digest, reason: String)

    public var description: String {
        switch self {
        case .missing(let d): return "chunk \(d) is missing from the store"
        case .tooLarge(let d, let n): return "chunk \(d) is larger (\(n) bytes) than the chunk size"
        case .notAFile(let d): return "chunk \(d) is not a regular file"
        case .outOfRange(let d, let r, let size):
            return "bytes \(r.lowerBound)..<\(r.upperBound) are not within chunk \(d) (\(size) bytes)"
        case .damaged(let d, let actual, let size):
            return "chunk \(d) is damaged: it now hashes to \(actual) (\(size) bytes)"
        case .deletionRefused(let d, let reason): return "chunk \(d) cannot be deleted: \(reason)"
        }
    }
}
