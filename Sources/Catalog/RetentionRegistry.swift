import CustodyCore
import SQLite

/// Retention categories (a name and how long an exhibit of it is kept after its capture) and which
/// exhibit is in which. SQL only: the use cases of `Vault` (`Vault+Retention.swift`) authorize and
/// record every change, in the caller's transaction.
public final class RetentionRegistry {
    public struct Category: Sendable, Equatable {
        public let name: String
        /// Seconds an exhibit of this category is kept after it was captured (ingested, if its capture
        /// time is unknown).
        public let keepSeconds: Int64
        public let createdAt: String
        public let createdBy: String

        public init(name: String, keepSeconds: Int64, createdAt: String, createdBy: String) {
            self.name = name
            self.keepSeconds = keepSeconds
            self.createdAt = createdAt
            self.createdBy = createdBy
        }
    }

    /// The category of an exhibit nobody categorised: what UK forces keep body-worn video no case
    /// needs for, 31 days after capture.
    public static let defaultCategory = "non-evidential"
    public static let defaultKeepSeconds: Int64 = 31 * 86_400

    let db: Database

    static let migrations = [
        Migration(1, """
            CREATE TABLE retention_categories (
                name TEXT PRIMARY KEY COLLATE NOCASE,
                keep_seconds INTEGER NOT NULL CHECK (keep_seconds > 0),
                created_at TEXT NOT NULL,
                created_by TEXT NOT NULL
            );
            INSERT INTO retention_categories (name, keep_seconds, created_at, created_by)
                VALUES ('\(defaultCategory)', \(defaultKeepSeconds), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'custody');
            CREATE TABLE exhibit_categories (
                exhibit TEXT PRIMARY KEY REFERENCES exhibits(id),
                category TEXT NOT NULL REFERENCES retention_categories(name),
                set_at TEXT NOT NULL,
                set_by TEXT NOT NULL
            );
            """),
    ]

    public init(db: Database) throws {
        self.db = db
        _ = try Catalog(db: db)  // exhibit_categories refers to the exhibits table
        try db.migrate("retention", Self.migrations)
    }

    /// Whether `name` can name a category: 1-64 letters, digits or `._-`, starting with a letter or digit.
    public static func isValidName(_ name: String) -> Bool {
        guard (1...64).contains(name.utf8.count), let first = name.utf8.first, isAlphanumeric(first) else {
            return false
        }
        return name.utf8.allSatisfy { isAlphanumeric($0) || $0 == 0x2e || $0 == 0x5f || $0 == 0x2d }
    }

    private static func isAlphanumeric(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
    }

    /// Adds category `name`, or gives an existing one (any letter case) a new period. Returns the
    /// period it had before, nil for a new category.
    public func set(_ name: String, keepSeconds: Int64, by actor: Actor) throws -> Int64? {
        guard Self.isValidName(name) else {
            throw CustodyError.invalidInput(field: "category", "category name \(name.prefix(64)) must be 1-64 letters, "
                                            + "digits or ._- characters, starting with a letter or digit")
        }
        let before = try category(name)
        if let before {
            try db.query("UPDATE retention_categories SET keep_seconds = ? WHERE name = ?",
                         [.integer(keepSeconds), .text(before.name)])
        } else {
            try db.query("""
                INSERT INTO retention_categories (name, keep_seconds, created_at, created_by) VALUES (?, ?, ?, ?)
                """, [.text(name), .integer(keepSeconds), .text(Timestamp.rfc3339()), .text(actor.description)])
        }
        return before?.keepSeconds
    }

    /// The category `name` names (letter case aside), or nil.
    public func category(_ name: String) throws -> Category? {
        try db.query("SELECT \(Self.columns) FROM retention_categories WHERE name = ?", [.text(name)])
            .first.map(Self.decode)
    }

    /// How long the default category keeps an exhibit now (its period as set, else the built-in one).
    public func defaultKeepSecondsNow() throws -> Int64 {
        try category(Self.defaultCategory)?.keepSeconds ?? Self.defaultKeepSeconds
    }

    /// Every category, by name.
    public func all() throws -> [Category] {
        try db.query("SELECT \(Self.columns) FROM retention_categories ORDER BY name COLLATE NOCASE")
            .map(Self.decode)
    }

    /// Puts exhibit `exhibit` (a catalog ID) in category `name`, which must exist; returns its stored
    /// spelling and the category the exhibit had before (nil: none, so the default).
    public func categorise(_ exhibit: String, as name: String, by actor: Actor) throws
        -> (category: String, before: String?) {
        guard let found = try category(name) else {
            throw CustodyError.notFound(.other, "no retention category \(name.prefix(64)); "
                                        + "`custody category list` shows them")
        }
        let before = try categoryName(of: exhibit)
        try db.query("""
            INSERT INTO exhibit_categories (exhibit, category, set_at, set_by) VALUES (?, ?, ?, ?)
            ON CONFLICT(exhibit) DO UPDATE SET category = excluded.category, set_at = excluded.set_at,
                set_by = excluded.set_by
            """, [.text(exhibit), .text(found.name), .text(Timestamp.rfc3339()), .text(actor.description)])
        return (found.name, before)
    }

    /// The category exhibit `exhibit` was put in, or nil when nobody categorised it.
    public func categoryName(of exhibit: String) throws -> String? {
        try db.query("SELECT category FROM exhibit_categories WHERE exhibit = ?", [.text(exhibit)]).first?.text(0)
    }

    /// The category exhibit `exhibit` was put in, with its period; nil when nobody categorised it.
    public func assigned(_ exhibit: String) throws -> Category? {
        try db.query("""
            SELECT r.name, r.keep_seconds, r.created_at, r.created_by FROM exhibit_categories x
            JOIN retention_categories r ON r.name = x.category WHERE x.exhibit = ?
            """, [.text(exhibit)]).first.map(Self.decode)
    }

    /// Every categorised exhibit's category, by exhibit ID.
    public func assignments() throws -> [String: Category] {
        var found = [String: Category]()
        for row in try db.query("""
            SELECT x.exhibit, r.name, r.keep_seconds, r.created_at, r.created_by FROM exhibit_categories x
            JOIN retention_categories r ON r.name = x.category
            """) {
            found[row.text(0) ?? ""] = Category(name: row.text(1) ?? "", keepSeconds: row.int(2) ?? 0,
                                                createdAt: row.text(3) ?? "", createdBy: row.text(4) ?? "")
        }
        return found
    }

    static let columns = "name, keep_seconds, created_at, created_by"

    static func decode(_ row: Row) -> Category {
        Category(name: row.text(0) ?? "", keepSeconds: row.int(1) ?? 0, createdAt: row.text(2) ?? "",
                 createdBy: row.text(3) ?? "")
    }
}
