import CustodyCore
import Foundation
import SQLite

/// The append-only table of custody events, in the catalog database.
public final class EventLog {
    public let db: Database

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
    ]

    public init(db: Database) throws {
        self.db = db
        try db.migrate("ledger", Self.migrations)
    }

    /// Appends `event`, assigning its sequence number. Durable when it returns (or, inside a caller's
    /// transaction, when that transaction commits).
    @discardableResult
    public func append(_ event: CustodyEvent) throws -> CustodyEvent {
        try db.transaction {
            var e = event
            e.seq = try db.query("SELECT COALESCE(MAX(seq) + 1, 0) FROM events").first?.int(0) ?? 0
            try db.query(
                """
                INSERT INTO events (seq, time, actor, actor_kind, action, exhibit, case_id, object_sha256,
                                    outcome, reason, details)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [.integer(e.seq), .text(e.time), .text(e.actor.id), .text(e.actor.kind.rawValue),
                 .text(e.action.rawValue), .optional(e.exhibit), .optional(e.caseID), .optional(e.objectSHA256),
                 .text(e.outcome.rawValue), .optional(e.reason), .text(Self.encodeDetails(e.details))])
            return e
        }
    }

    /// Events oldest first, optionally only those naming `exhibit`.
    public func events(exhibit: String? = nil, from seq: Int64 = 0, limit: Int = Int.max) throws -> [CustodyEvent] {
        let columns = "seq, time, actor, actor_kind, action, exhibit, case_id, object_sha256, outcome, reason, details"
        let rows: [Row]
        if let exhibit {
            rows = try db.query("SELECT \(columns) FROM events WHERE exhibit = ? AND seq >= ? ORDER BY seq LIMIT ?",
                                [.text(exhibit), .integer(seq), .int(limit)])
        } else {
            rows = try db.query("SELECT \(columns) FROM events WHERE seq >= ? ORDER BY seq LIMIT ?",
                                [.integer(seq), .int(limit)])
        }
        return try rows.map(Self.decode)
    }

    /// Number of events in the log.
    public func count() throws -> Int64 {
        try db.query("SELECT COUNT(*) FROM events").first?.int(0) ?? 0
    }

    static func encodeDetails(_ details: [String: String]) -> String {
        String(decoding: CanonicalJSON.encode(.object(details.mapValues { .string($0) })), as: UTF8.self)
    }

    static func decode(_ row: Row) throws -> CustodyEvent {
        guard let seq = row.int(0), let time = row.text(1), let actorID = row.text(2),
              let kind = row.text(3).flatMap(Actor.Kind.init(rawValue:)),
              let action = row.text(4).flatMap(CustodyEvent.Action.init(rawValue:)),
              let outcome = row.text(8).flatMap(CustodyEvent.Outcome.init(rawValue:)),
              let detailsText = row.text(10),
              let details = try? JSONSerialization.jsonObject(with: Data(detailsText.utf8)) as? [String: String]
        else {
            throw CustodyError.integrity("custody event row \(row.int(0).map(String.init) ?? "?") is malformed")
        }
        return CustodyEvent(seq: seq, time: time, actor: Actor(id: actorID, kind: kind), action: action,
                            exhibit: row.text(5), caseID: row.text(6), objectSHA256: row.text(7),
                            outcome: outcome, reason: row.text(9), details: details)
    }
}
