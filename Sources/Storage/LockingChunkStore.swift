import CustodyCore
import Foundation

/// What a store under Object Lock (WORM) says of one chunk's lock.
public struct ChunkLockState: Sendable, Equatable {
    /// Until when no one may delete or overwrite it; nil when it has no retention date.
    public var retainUntil: Date?
    /// Whether a legal hold keeps it whatever its date.
    public var legalHold: Bool

    public init(retainUntil: Date?, legalHold: Bool) {
        self.retainUntil = retainUntil
        self.legalHold = legalHold
    }
}

/// A store that locks its chunks (S3 Object Lock): each chunk has a retention date, which can only be moved
/// later, and a legal hold that can be set and cleared. Retention follows the exhibits' rules through these
/// calls (`Vault.syncLocks`); the file store has no locks and does not implement this.
public protocol LockingChunkStore: ChunkStore {
    /// True when chunks are written under a lock, so their dates and holds are to be kept up to date.
    var locksChunks: Bool { get }
    /// The chunk's lock as the store has it; nil when there is no such chunk.
    func lockState(_ digest: SHA256Digest) throws -> ChunkLockState?
    /// Moves the chunk's retention date to `until`. The caller asks only for a later date than the chunk has:
    /// a store refuses to shorten a lock.
    func extendRetention(_ digest: SHA256Digest, until: Date) throws
    /// Sets (`on`) or clears the chunk's legal hold.
    func setLegalHold(_ digest: SHA256Digest, _ on: Bool) throws
}

/// One chunk in a dated listing: its name and when the store last wrote it.
public struct DatedChunk: Sendable, Equatable {
    public let digest: SHA256Digest
    public let modified: Date

    public init(digest: SHA256Digest, modified: Date) {
        self.digest = digest
        self.modified = modified
    }
}

/// A store that can say how old its chunks are (a file's mtime, an object's LastModified): what `store gc`
/// needs to leave alone the chunks of an ingest that has not catalogued them yet.
public protocol DatedChunkListing: ChunkStore {
    /// `list`, with each chunk's time of writing.
    func listDated(after cursor: SHA256Digest?, limit: Int) throws -> [DatedChunk]
}
