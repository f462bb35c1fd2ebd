import CustodyCore
import SQLite

/// What custody knows of its chunks' Object Lock in a locking store: each chunk's retention date and legal hold as
/// last read from or set in the store (`chunk_locks`), and the chunks retention freed whose deletion the store
/// refused because of a lock (`locked_deletions`), deleted by a later run once the lock ends. SQL only: the use
/// cases of `Vault` (`Vault+Locks.swift`, `Vault+LockedDeletions.swift`) decide and call the store.
public final class ChunkLockRegistry {
    public struct Applied: Sendable, Equatable {
        /// Unix seconds; nil when the chunk has no retention date.
        public let retainUntil: Int64?
        public let legalHold: Bool

        public init(retainUntil: Int64?, legalHold: Bool) {
            self.retainUntil = retainUntil
            self.legalHold = legalHold
        }
    }

    public struct LockedDeletion: Sendable, Equatable {
        public let chunk: SHA256Digest
        /// The purged exhibit that freed it.
        public let exhibit: String
        public let size: Int
        /// When the store first refused, and until when its lock holds (nil: unknown, or a legal hold).
        public let refusedAt: Int64
        public let lockedUntil: Int64?
    }

    let db: Database

    static let migrations = [
        Migration(1, """
            CREATE TABLE chunk_locks (
                chunk TEXT PRIMARY KEY,
                retain_until INTEGER,
                legal_hold INTEGER NOT NULL DEFAULT 0
            ) WITHOUT ROWID;
            CREATE TABLE locked_deletions (
                chunk TEXT PRIMARY KEY,
                exhibit TEXT NOT NULL,
                size INTEGER NOT NULL,
                refused_at INTEGER NOT NULL,
                locked_until INTEGER
            ) WITHOUT ROWID;
            """),
    ]

    public init(db: Database) throws {
        self.db = db
        try db.migrate("chunk_locks", Self.migrations)
    }

    /// Every chunk's lock as last seen, by chunk.
    public func applied() throws -> [SHA256Digest: Applied] {
        var found = [SHA256Digest: Applied]()
        for row in try db.query("SELECT chunk, retain_until, legal_hold FROM chunk_locks") {
            guard let digest = row.text(0).flatMap(SHA256Digest.init(hex:)) else { continue }
            found[digest] = Applied(retainUntil: row.int(1), legalHold: row.int(2) == 1)
        }
        return found
    }

    /// Records the chunk's lock as the store now has it. A later date already recorded stays (another process
    /// extended it further meanwhile).
    public func setApplied(_ chunk: SHA256Digest, _ applied: Applied) throws {
        try db.query("""
            INSERT INTO chunk_locks (chunk, retain_until, legal_hold) VALUES (?, ?, ?)
            ON CONFLICT(chunk) DO UPDATE SET legal_hold = excluded.legal_hold,
                retain_until = max(COALESCE(retain_until, 0), COALESCE(excluded.retain_until, 0))
            """, [.text(chunk.hex), Self.value(applied.retainUntil), .integer(applied.legalHold ? 1 : 0)])
    }

    /// Forgets a chunk that is gone from the store.
    public func forget(_ chunk: SHA256Digest) throws {
        try db.query("DELETE FROM chunk_locks WHERE chunk = ?", [.text(chunk.hex)])
        try db.query("DELETE FROM locked_deletions WHERE chunk = ?", [.text(chunk.hex)])
    }

    /// Records that the store refused to delete `chunk`, freed by purging `exhibit`, locked until `until`.
    public func refusedDeletion(_ chunk: SHA256Digest, exhibit: String, size: Int, at time: Int64,
                                until: Int64?) throws {
        try db.query("""
            INSERT INTO locked_deletions (chunk, exhibit, size, refused_at, locked_until) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(chunk) DO UPDATE SET locked_until = excluded.locked_until
            """, [.text(chunk.hex), .text(exhibit), .int(size), .integer(time), Self.value(until)])
    }

    /// Takes `chunk` off the chunks waiting to be deleted (an exhibit uses it again).
    public func keep(_ chunk: SHA256Digest) throws {
        try db.query("DELETE FROM locked_deletions WHERE chunk = ?", [.text(chunk.hex)])
    }

    /// The chunks waiting for their lock to end before they are deleted, oldest refusal first.
    public func lockedDeletions() throws -> [LockedDeletion] {
        try db.query("""
            SELECT chunk, exhibit, size, refused_at, locked_until FROM locked_deletions ORDER BY refused_at, chunk
            """).compactMap { row in
            guard let digest = row.text(0).flatMap(SHA256Digest.init(hex:)) else { return nil }
            return LockedDeletion(chunk: digest, exhibit: row.text(1) ?? "", size: Int(row.int(2) ?? 0),
                                  refusedAt: row.int(3) ?? 0, lockedUntil: row.int(4))
        }
    }

    private static func value(_ seconds: Int64?) -> SQLValue { seconds.map { .integer($0) } ?? .null }
}
