import CustodyCore
import Foundation
import SQLite

/// Cases (a prosecution's reference, e.g. `CPS/2026/1187`) and the exhibits linked to each. SQL only:
/// creating a case and adding an exhibit are authorized and recorded by the use cases of `Vault`
/// (`Vault+Cases.swift`), in the caller's transaction.
public final class CaseRegistry {
    public struct Case: Sendable, Equatable {
        public let ref: String
        public let title: String?
        public let createdAt: String
        public let createdBy: String
        /// How many exhibits the case holds.
        public let exhibits: Int
        /// When the case was closed (RFC 3339) and by whom; nil while it is open. An exhibit in an open
        /// case is kept by retention.
        public var closedAt: String? = nil
        public var closedBy: String? = nil
        public var isOpen: Bool { closedAt == nil }
    }

    /// An exhibit's place in a case: which exhibit (catalog ID), when and by whom it was added.
    public struct Member: Sendable, Equatable {
        public let exhibit: String
        public let addedAt: String
        public let addedBy: String
    }

    let db: Database

    static let migrations = [
        Migration(1, """
            CREATE TABLE cases (
                num INTEGER PRIMARY KEY,
                ref TEXT NOT NULL UNIQUE COLLATE NOCASE,
                title TEXT,
                created_at TEXT NOT NULL,
                created_by TEXT NOT NULL
            );
            CREATE TABLE case_exhibits (
                case_num INTEGER NOT NULL REFERENCES cases(num),
                exhibit TEXT NOT NULL REFERENCES exhibits(id),
                added_at TEXT NOT NULL,
                added_by TEXT NOT NULL,
                PRIMARY KEY (case_num, exhibit)
            );
            CREATE INDEX case_exhibits_exhibit ON case_exhibits(exhibit);
            """),
        Migration(2, """
            ALTER TABLE cases ADD COLUMN closed_at TEXT;
            ALTER TABLE cases ADD COLUMN closed_by TEXT;
            """),
    ]

    /// The longest title kept, in bytes.
    public static let maxTitleLength = 200

    public init(db: Database) throws {
        self.db = db
        _ = try Catalog(db: db)  // case_exhibits refers to the exhibits table
        try db.migrate("cases", Self.migrations)
    }

    /// Whether `ref` can name a case: 1-64 letters, digits or `._/-`, starting with a letter or digit.
    public static func isValidRef(_ ref: String) -> Bool {
        guard (1...64).contains(ref.utf8.count), let first = ref.utf8.first, isAlphanumeric(first) else { return false }
        return ref.utf8.allSatisfy { isAlphanumeric($0) || $0 == 0x2e || $0 == 0x5f || $0 == 0x2f || $0 == 0x2d }
    }

    private static func isAlphanumeric(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
    }

    /// Throws the input error for a `ref` that cannot name a case (`isValidRef`).
    public static func validate(ref: String) throws {
        guard isValidRef(ref) else {
            throw CustodyError.invalidInput(field: "case", "case reference \(ref) must be 1-64 letters, digits or "
                                            + "._/- characters, starting with a letter or digit")
        }
    }

    /// Creates the case `ref`. A reference taken (in any letter case) is a conflict; a title that is
    /// blank, longer than `maxTitleLength` bytes or holds a control or bidirectional character is refused.
    public func create(_ ref: String, title: String?, by actor: Actor) throws -> Case {
        try Self.validate(ref: ref)
        if let title {
            guard !title.trimmingCharacters(in: .whitespaces).isEmpty, title.utf8.count <= Self.maxTitleLength,
                  !title.altersDisplay else {
                throw CustodyError.invalidInput(field: "title", "the case title must be 1-\(Self.maxTitleLength) "
                                                + "bytes of text on one line, without control characters")
            }
        }
        if let existing = try find(ref) {
            throw CustodyError.conflict(.case, "a case \(existing.ref) already exists")
        }
        let now = Timestamp.rfc3339()
        try db.query("INSERT INTO cases (ref, title, created_at, created_by) VALUES (?, ?, ?, ?)",
                     [.text(ref), .optional(title), .text(now), .text(actor.id)])
        return Case(ref: ref, title: title, createdAt: now, createdBy: actor.id, exhibits: 0)
    }

    /// The case `ref` names (letter case aside), or nil.
    public func find(_ ref: String) throws -> Case? {
        try db.query("\(Self.select) WHERE c.ref = ? GROUP BY c.num", [.text(ref)]).first.map(Self.decode)
    }

    /// The case `ref` names, or `notFound(.case)`; a malformed `ref` is an input error.
    public func get(_ ref: String) throws -> Case {
        try Self.validate(ref: ref)
        guard let found = try find(ref) else { throw CustodyError.notFound(.case, "no case \(ref)") }
        return found
    }

    /// Every case, oldest first.
    public func all() throws -> [Case] {
        try db.query("\(Self.select) GROUP BY c.num ORDER BY c.num").map(Self.decode)
    }

    /// Adds exhibit `exhibit` (a catalog ID) to the case. Returns false, changing nothing, when the
    /// exhibit is in the case already: adding twice is a no-op.
    public func add(_ exhibit: String, to c: Case, by actor: Actor) throws -> Bool {
        try db.query("""
            INSERT INTO case_exhibits (case_num, exhibit, added_at, added_by)
            SELECT num, ?, ?, ? FROM cases WHERE ref = ? ON CONFLICT DO NOTHING
            """, [.text(exhibit), .text(Timestamp.rfc3339()), .text(actor.id), .text(c.ref)])
        return db.changes == 1
    }

    /// The exhibits of a case, in the order they were added.
    public func members(of c: Case) throws -> [Member] {
        try db.query("""
            SELECT m.exhibit, m.added_at, m.added_by FROM case_exhibits m JOIN cases c ON c.num = m.case_num
            WHERE c.ref = ? ORDER BY m.rowid
            """, [.text(c.ref)]).map { row in
            Member(exhibit: row.text(0) ?? "", addedAt: row.text(1) ?? "", addedBy: row.text(2) ?? "")
        }
    }

    /// Closes (`closed` true) or reopens case `c`. Returns false, changing nothing, when it already was.
    public func setClosed(_ closed: Bool, _ c: Case, by actor: Actor) throws -> Bool {
        if closed {
            try db.query("UPDATE cases SET closed_at = ?, closed_by = ? WHERE ref = ? AND closed_at IS NULL",
                         [.text(Timestamp.rfc3339()), .text(actor.description), .text(c.ref)])
        } else {
            try db.query("UPDATE cases SET closed_at = NULL, closed_by = NULL WHERE ref = ? AND closed_at IS NOT NULL",
                         [.text(c.ref)])
        }
        return db.changes == 1
    }

    /// The open cases exhibit `id` is in, by reference.
    public func openCases(holding id: String) throws -> [String] {
        try db.query("""
            SELECT c.ref FROM cases c JOIN case_exhibits m ON m.case_num = c.num
            WHERE m.exhibit = ? AND c.closed_at IS NULL ORDER BY c.num
            """, [.text(id)]).map { $0.text(0) ?? "" }
    }

    /// Every exhibit in an open case, with the open cases it is in.
    public func openCasesByExhibit() throws -> [String: [String]] {
        var found = [String: [String]]()
        for row in try db.query("""
            SELECT m.exhibit, c.ref FROM cases c JOIN case_exhibits m ON m.case_num = c.num
            WHERE c.closed_at IS NULL ORDER BY c.num
            """) {
            found[row.text(0) ?? "", default: []].append(row.text(1) ?? "")
        }
        return found
    }

    static let select = """
        SELECT c.ref, c.title, c.created_at, c.created_by, COUNT(m.exhibit), c.closed_at, c.closed_by FROM cases c
        LEFT JOIN case_exhibits m ON m.case_num = c.num
        """

    static func decode(_ row: Row) -> Case {
        Case(ref: row.text(0) ?? "", title: row.text(1), createdAt: row.text(2) ?? "", createdBy: row.text(3) ?? "",
             exhibits: Int(row.int(4) ?? 0), closedAt: row.text(5), closedBy: row.text(6))
    }
}

extension CaseRegistry {
    /// The references of the cases `exhibit` (a catalog ID) is in, oldest case first.
    public func cases(of exhibit: String) throws -> [String] {
        try db.query("""
            SELECT c.ref FROM case_exhibits m JOIN cases c ON c.num = m.case_num WHERE m.exhibit = ? ORDER BY c.num
            """, [.text(exhibit)]).map { $0.text(0) ?? "" }
    }
}
