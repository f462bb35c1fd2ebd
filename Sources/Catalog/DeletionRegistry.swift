import CustodyCore
import SQLite

/// Exhibits retention deleted. A deleted exhibit keeps its catalog row and chunk list (and the
/// ledger every event): it is hidden, and restorable until it is purged, when the chunks no other
/// exhibit (live or restorable) uses are removed from the store. SQL only: the use cases of `Vault`
/// (`Vault+RetentionRun.swift`, `Vault+Restore.swift`) record every change, in the caller's transaction.
public final class DeletionRegistry {
    public struct Deletion: Sendable, Equatable {
        public let exhibit: String
        /// Unix seconds, on the vault's clock.
        public let deletedAt: Int64
        /// The `delete` event that deleted it.
        public let event: Int64
        /// When it was purged (its chunks given up), and that `delete` event; nil while restorable.
        public let purgedAt: Int64?
        public let purgeEvent: Int64?
        /// True once the chunks only it used are gone from the store.
        public let freed: Bool
    }

    let db: Database

    static let migrations = [
        Migration(1, """
            CREATE TABLE deletions (
                exhibit TEXT PRIMARY KEY REFERENCES exhibits(id),
                deleted_at INTEGER NOT NULL,
                event INTEGER NOT NULL,
                purged_at INTEGER,
                purge_event INTEGER,
                freed INTEGER NOT NULL DEFAULT 0
            );
            CREATE INDEX deletions_unpurged ON deletions(deleted_at) WHERE purged_at IS NULL;
            """),
    ]

    public init(db: Database) throws {
        self.db = db
        _ = try Catalog(db: db)
        try db.migrate("deletions", Self.migrations)
    }

    /// Marks exhibit `id` deleted at `time` by event `event`.
    public func markDeleted(_ id: String, at time: Int64, event: Int64) throws {
        try db.query("INSERT INTO deletions (exhibit, deleted_at, event) VALUES (?, ?, ?)",
                     [.text(id), .integer(time), .integer(event)])
    }

    /// Takes exhibit `id` off the deleted list (a restore). The caller checked it is not purged.
    public func unmark(_ id: String) throws {
        try db.query("DELETE FROM deletions WHERE exhibit = ? AND purged_at IS NULL", [.text(id)])
        guard db.changes == 1 else { throw CustodyError.conflict(.exhibit, "\(id) is not restorable") }
    }

    /// Takes exhibit `id` off the deleted list whether or not it was purged: its bytes were stored
    /// again (`Vault.reinstate`), so its chunks are in the store and in use once more.
    public func reinstate(_ id: String) throws {
        try db.query("DELETE FROM deletions WHERE exhibit = ?", [.text(id)])
    }

    /// How exhibit `id` was deleted, or nil when it is not.
    public func deletion(of id: String) throws -> Deletion? {
        try db.query("SELECT \(Self.columns) FROM deletions WHERE exhibit = ?", [.text(id)]).first.map(Self.decode)
    }

    /// Every deletion, by exhibit ID.
    public func all() throws -> [String: Deletion] {
        var found = [String: Deletion]()
        for row in try db.query("SELECT \(Self.columns) FROM deletions") {
            let deletion = Self.decode(row)
            found[deletion.exhibit] = deletion
        }
        return found
    }

    /// The restorable deletions made at or before `time`, oldest first: those due to be purged.
    public func unpurged(deletedBy time: Int64) throws -> [Deletion] {
        try db.query("""
            SELECT \(Self.columns) FROM deletions WHERE purged_at IS NULL AND deleted_at <= ? ORDER BY deleted_at
            """, [.integer(time)]).map(Self.decode)
    }

    /// Purged exhibits whose chunks may still be in the store (a run stopped between the purge and
    /// the removal of its chunks).
    public func unfreed() throws -> [String] {
        try db.query("SELECT exhibit FROM deletions WHERE purged_at IS NOT NULL AND freed = 0 ORDER BY purged_at")
            .map { $0.text(0) ?? "" }
    }

    public func markPurged(_ id: String, at time: Int64, event: Int64) throws {
        try db.query("UPDATE deletions SET purged_at = ?, purge_event = ? WHERE exhibit = ? AND purged_at IS NULL",
                     [.integer(time), .integer(event), .text(id)])
    }

    public func markFreed(_ id: String) throws {
        try db.query("UPDATE deletions SET freed = 1 WHERE exhibit = ?", [.text(id)])
    }

    /// The chunks of exhibit `id` that no other exhibit uses, live or restorable (purged exhibits'
    /// lists do not count): what purging it may remove from the store.
    public func chunksOnlyUsed(by id: String) throws -> [(digest: SHA256Digest, size: Int)] {
        try db.query("""
            SELECT DISTINCT c.chunk, c.size FROM exhibit_chunks c JOIN exhibits e ON e.num = c.exhibit
            WHERE e.id = ? AND NOT EXISTS (
                SELECT 1 FROM exhibit_chunks o JOIN exhibits oe ON oe.num = o.exhibit
                LEFT JOIN deletions d ON d.exhibit = oe.id
                WHERE o.chunk = c.chunk AND oe.id != e.id AND d.purged_at IS NULL)
            """, [.text(id)]).compactMap { row in
            row.text(0).flatMap(SHA256Digest.init(hex:)).map { ($0, Int(row.int(1) ?? 0)) }
        }
    }

    /// The chunks the store must hold: every chunk of an exhibit that is not purged (those only purged
    /// exhibits used are gone by design). SQL for any connection to a vault's database, read-only too.
    public static let chunksInUseQuery = """
        SELECT DISTINCT c.chunk FROM exhibit_chunks c JOIN exhibits e ON e.num = c.exhibit
        WHERE NOT EXISTS (SELECT 1 FROM deletions d WHERE d.exhibit = e.id AND d.purged_at IS NOT NULL)
        """

    static let columns = "exhibit, deleted_at, event, purged_at, purge_event, freed"

    static func decode(_ row: Row) -> Deletion {
        Deletion(exhibit: row.text(0) ?? "", deletedAt: row.int(1) ?? 0, event: row.int(2) ?? 0,
                 purgedAt: row.int(3), purgeEvent: row.int(4), freed: row.int(5) == 1)
    }
}
