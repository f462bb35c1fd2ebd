import CustodyCore
import Foundation
import SQLite

/// The custody ledger: the append-only `events` table and the RFC 6962 Merkle tree over the
/// events' canonical leaves (`ledger_hashes`), in the catalog database. Signed checkpoints of the
/// tree are in `checkpoints` (see `EventLog+Checkpoints.swift`).
public final class EventLog {
    public let db: Database
    let tree: TreeStorage

    static let migrations = [
        Migration(1, """
            CREATE TABLE events (
                seq INTEGER PRIMARY KEY,
                time TEXT NOT NULL,
                actor TEXT NOT NULL,
                actor_kind TEXT NOT NULL,
                action TEXT NOT NULL,
                exhibit TEXT,
                case_id TEXT,
                object_sha256 TEXT,
                outcome TEXT NOT NULL,
                reason TEXT,
                details TEXT NOT NULL DEFAULT '{}'
            );
            CREATE INDEX events_exhibit ON events(exhibit, seq);
            CREATE TRIGGER events_no_update BEFORE UPDATE ON events
                BEGIN SELECT RAISE(ABORT, 'custody events are append-only'); END;
            CREATE TRIGGER events_no_delete BEFORE DELETE ON events
                BEGIN SELECT RAISE(ABORT, 'custody events are append-only'); END;
            """),
        Migration(2, """
            CREATE TABLE ledger_hashes (id INTEGER PRIMARY KEY, hash BLOB NOT NULL);
            CREATE TRIGGER ledger_hashes_no_update BEFORE UPDATE ON ledger_hashes
                BEGIN SELECT RAISE(ABORT, 'the ledger tree is append-only'); END;
            CREATE TRIGGER ledger_hashes_no_delete BEFORE DELETE ON ledger_hashes
                BEGIN SELECT RAISE(ABORT, 'the ledger tree is append-only'); END;
            CREATE TABLE checkpoints (
                num INTEGER PRIMARY KEY,
                size INTEGER NOT NULL UNIQUE,
                created_at TEXT NOT NULL,
                note TEXT NOT NULL
            );
            CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
                BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
            CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
                BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
            """),
        // The events that can anchor an exhibit's identity (see `EventLog+Creation.swift`): a few per
        // exhibit, so finding them all does not read a log of millions of views and exports.
        Migration(3, "CREATE INDEX events_creation ON events(exhibit, seq) WHERE \(creationFilter)"),
        // The exhibit numbers events name, in numeric order (EX-1000000 after EX-999999): the greatest is
        // one index lookup (see `greatestExhibitNamed`).
        Migration(4, "CREATE INDEX events_exhibit_number ON events(\(exhibitNumber)) WHERE \(namesExhibitNumber)"),
        // Which exhibit the ledger created with given bytes: a re-ingest of them repairs its catalog rows.
        Migration(5, "CREATE INDEX events_creation_sha256 ON events(object_sha256, seq) WHERE \(creationFilter)"),
    ]

    public init(db: Database) throws {
        self.db = db
        try db.migrate("ledger", Self.migrations)
        tree = try TreeStorage(db: db)
    }

    /// Appends `event`, assigning its sequence number and adding its leaf to the tree. Durable when
    /// it returns (or, inside a caller's transaction, when that transaction commits).
    @discardableResult
    public func append(_ event: CustodyEvent) throws -> CustodyEvent {
        try append([event])[0]
    }

    /// Appends `events` in order in one transaction: one fsync for the whole batch.
    @discardableResult
    public func append(_ events: [CustodyEvent]) throws -> [CustodyEvent] {
        try db.transaction {
            let insert = try db.prepare(
                """
                INSERT INTO events (seq, time, actor, actor_kind, action, exhibit, case_id, object_sha256,
                                    outcome, reason, details)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            var seq = try size()
            return try events.map { event in
                var e = event
                e.seq = Int64(seq)
                try insert.run([
                    .integer(e.seq), .text(e.time), .text(e.actor.id), .text(e.actor.kind.rawValue),
                    .text(e.action.rawValue), .optional(e.exhibit), .optional(e.caseID), .optional(e.objectSHA256),
                    .text(e.outcome.rawValue), .optional(e.reason), .text(Self.encodeDetails(e.details)),
                ])
                try tree.appendLeaf(Merkle.leafHash(e.leafBytes), index: seq)
                seq += 1
                return e
            }
        }
    }

    /// Events oldest first, optionally only those naming `exhibit`.
    public func events(exhibit: String? = nil, from seq: Int64 = 0, limit: Int = Int.max) throws -> [CustodyEvent] {
        let rows: [Row]
        if let exhibit {
            rows = try db.query(
                "SELECT \(Self.columns) FROM events WHERE exhibit = ? AND seq >= ? ORDER BY seq LIMIT ?",
                [.text(exhibit), .integer(seq), .int(limit)])
        } else {
            rows = try db.query("SELECT \(Self.columns) FROM events WHERE seq >= ? ORDER BY seq LIMIT ?",
                                [.integer(seq), .int(limit)])
        }
        return try rows.map(Self.decode)
    }

    /// One event by sequence number.
    public func event(seq: Int64) throws -> CustodyEvent? {
        try db.query("SELECT \(Self.columns) FROM events WHERE seq = ?", [.integer(seq)]).first.map(Self.decode)
    }

    /// Number of events in the log (the tree size).
    public func count() throws -> Int64 {
        Int64(try size())
    }

    func size() throws -> UInt64 {
        UInt64(try Self.count(in: db))
    }

    /// Number of events in the log of `db`, which may be opened read-only (nothing is migrated).
    public static func count(in db: Database) throws -> Int64 {
        try db.query("SELECT COALESCE(MAX(seq) + 1, 0) FROM events").first?.int(0) ?? 0
    }

    /// The Merkle root of the first `size` events.
    public func root(size: UInt64) throws -> SHA256Digest {
        try tree.root(size: size)
    }

    /// The audit path of event `index` in the tree of the first `size` events (RFC 9162 2.1.3.1).
    public func inclusionProof(index: UInt64, size: UInt64) throws -> [SHA256Digest] {
        try Merkle.inclusionProof(index: index, size: size, complete: tree.hash)
    }

    /// The proof that the tree of `oldSize` events is a prefix of the tree of `newSize` (RFC 9162 2.1.4.1).
    public func consistencyProof(oldSize: UInt64, newSize: UInt64) throws -> [SHA256Digest] {
        try Merkle.consistencyProof(oldSize: oldSize, newSize: newSize, complete: tree.hash)
    }

    static let columns =
        "seq, time, actor, actor_kind, action, exhibit, case_id, object_sha256, outcome, reason, details"

    static func encodeDetails(_ details: [String: String]) -> String {
        var out = [UInt8]()
        CanonicalJSON.writeStringObject(details, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ row: Row) throws -> CustodyEvent {
        guard let seq = row.int(0), let time = row.text(1), let actorID = row.text(2),
              let kind = row.text(3).flatMap(Actor.Kind.init(rawValue:)),
              let action = row.text(4).flatMap(CustodyEvent.Action.init(rawValue:)),
              let outcome = row.text(8).flatMap(CustodyEvent.Outcome.init(rawValue:)),
              let detailsText = row.text(10),
              let details = CanonicalJSON.parseStringObject(detailsText)
        else {
            throw CustodyError.integrity("custody event row \(row.int(0).map(String.init) ?? "?") is malformed")
        }
        return CustodyEvent(seq: seq, time: time, actor: Actor(id: actorID, kind: kind), action: action,
                            exhibit: row.text(5), caseID: row.text(6), objectSHA256: row.text(7),
                            outcome: outcome, reason: row.text(9), details: details)
    }
}
