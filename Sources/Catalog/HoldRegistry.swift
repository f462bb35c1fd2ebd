import CustodyCore
import SQLite

/// Legal holds: an exhibit, or every exhibit of a case, that retention must not delete while the
/// hold stands. A removed hold stays as a row (who removed it, when). SQL only: the use cases of
/// `Vault` (`Vault+Holds.swift`) authorize and record every change, in the caller's transaction.
public final class HoldRegistry {
    /// What a hold is on.
    public enum Target: Sendable, Equatable, CustomStringConvertible {
        case exhibit(String)
        case `case`(String)

        public var description: String {
            switch self {
            case .exhibit(let id): return id
            case .case(let ref): return "case \(ref)"
            }
        }
    }

    public struct Hold: Sendable, Equatable {
        public let number: Int64
        public let target: Target
        public let reason: String
        public let addedAt: String
        public let addedBy: String
        public let removedAt: String?
        public let removedBy: String?
        /// `HD-000001`.
        public var id: String { String(format: "HD-%06lld", number) }
    }

    /// The longest reason kept, in bytes.
    public static let maxReasonLength = 1000

    let db: Database

    static let migrations = [
        Migration(1, """
            CREATE TABLE holds (
                num INTEGER PRIMARY KEY,
                exhibit TEXT REFERENCES exhibits(id),
                case_ref TEXT COLLATE NOCASE,
                reason TEXT NOT NULL,
                added_at TEXT NOT NULL,
                added_by TEXT NOT NULL,
                removed_at TEXT,
                removed_by TEXT,
                CHECK ((exhibit IS NULL) != (case_ref IS NULL))
            );
            CREATE INDEX holds_exhibit ON holds(exhibit) WHERE removed_at IS NULL;
            CREATE INDEX holds_case ON holds(case_ref) WHERE removed_at IS NULL;
            """),
    ]

    public init(db: Database) throws {
        self.db = db
        _ = try CaseRegistry(db: db)  // a hold on a case holds the exhibits in it
        try db.migrate("holds", Self.migrations)
    }

    /// Places a hold on `target` (an exhibit ID, or a case's stored reference) for `reason`.
    public func add(_ target: Target, reason: String, by actor: Actor) throws -> Hold {
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty, reason.utf8.count <= Self.maxReasonLength,
              !reason.altersDisplay else {
            throw CustodyError.invalidInput(field: "reason", "a hold's --reason must be 1-\(Self.maxReasonLength) "
                                            + "bytes of text on one line, without control characters")
        }
        let (exhibit, caseRef) = Self.columns(of: target)
        let now = Timestamp.rfc3339()
        try db.query("INSERT INTO holds (exhibit, case_ref, reason, added_at, added_by) VALUES (?, ?, ?, ?, ?)",
                     [.optional(exhibit), .optional(caseRef), .text(reason), .text(now), .text(actor.description)])
        return Hold(number: db.lastInsertRowID, target: target, reason: reason, addedAt: now,
                    addedBy: actor.description, removedAt: nil, removedBy: nil)
    }

    /// Removes every standing hold on `target`; returns them (empty: there was none).
    public func remove(_ target: Target, by actor: Actor) throws -> [Hold] {
        let standing = try active(on: target)
        let (exhibit, caseRef) = Self.columns(of: target)
        try db.query("""
            UPDATE holds SET removed_at = ?, removed_by = ?
            WHERE removed_at IS NULL AND (exhibit = ? OR case_ref = ?)
            """, [.text(Timestamp.rfc3339()), .text(actor.description), .optional(exhibit), .optional(caseRef)])
        return standing
    }

    /// The standing holds on `target` itself, oldest first.
    public func active(on target: Target) throws -> [Hold] {
        let (exhibit, caseRef) = Self.columns(of: target)
        return try db.query("""
            SELECT \(Self.select) FROM holds WHERE removed_at IS NULL AND (exhibit = ? OR case_ref = ?) ORDER BY num
            """, [.optional(exhibit), .optional(caseRef)]).map(Self.decode)
    }

    /// The standing holds that keep exhibit `id`: on it, or on a case it is in.
    public func holding(_ id: String) throws -> [Hold] {
        try db.query("""
            SELECT \(Self.select) FROM holds WHERE removed_at IS NULL AND (exhibit = ? OR case_ref IN (
                SELECT c.ref FROM cases c JOIN case_exhibits m ON m.case_num = c.num WHERE m.exhibit = ?))
            ORDER BY num
            """, [.text(id), .text(id)]).map(Self.decode)
    }

    /// Every hold, standing ones only unless `all`, oldest first.
    public func list(all: Bool = false) throws -> [Hold] {
        try db.query("SELECT \(Self.select) FROM holds \(all ? "" : "WHERE removed_at IS NULL ")ORDER BY num")
            .map(Self.decode)
    }

    /// The standing holds by the exhibit they keep, holds on cases given to each exhibit of the case.
    public func standingByExhibit() throws -> [String: [Hold]] {
        var found = [String: [Hold]]()
        for hold in try list() {
            switch hold.target {
            case .exhibit(let id): found[id, default: []].append(hold)
            case .case(let ref):
                for row in try db.query("""
                    SELECT m.exhibit FROM case_exhibits m JOIN cases c ON c.num = m.case_num WHERE c.ref = ?
                    """, [.text(ref)]) {
                    found[row.text(0) ?? "", default: []].append(hold)
                }
            }
        }
        return found
    }

    private static func columns(of target: Target) -> (exhibit: String?, caseRef: String?) {
        switch target {
        case .exhibit(let id): return (id, nil)
        case .case(let ref): return (nil, ref)
        }
    }

    static let select = "num, exhibit, case_ref, reason, added_at, added_by, removed_at, removed_by"

    static func decode(_ row: Row) -> Hold {
        let target: Target = row.text(1).map { .exhibit($0) } ?? .case(row.text(2) ?? "")
        return Hold(number: row.int(0) ?? 0, target: target, reason: row.text(3) ?? "", addedAt: row.text(4) ?? "",
                    addedBy: row.text(5) ?? "", removedAt: row.text(6), removedBy: row.text(7))
    }
}
