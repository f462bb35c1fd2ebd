import CustodyCore
import SQLite

/// Registered officers: each with a role and a personal bearer token, of which only the SHA-256 is
/// stored. SQL only: tokens are made and checked, and every change recorded, by the use cases of
/// `Vault` (`Vault+Officers.swift`); the role is enforced by `Vault.authorize`.
public final class OfficerRegistry {
    public struct Officer: Sendable, Equatable {
        public let id: String
        public let name: String
        public let role: Role
        public let createdAt: String
        public let createdBy: String
        public let disabledAt: String?
        public var isActive: Bool { disabledAt == nil }
    }

    let db: Database

    static let migrations = [
        Migration(1, """
            CREATE TABLE officers (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                role TEXT NOT NULL,
                token_sha256 TEXT NOT NULL UNIQUE,
                created_at TEXT NOT NULL,
                created_by TEXT NOT NULL,
                disabled_at TEXT
            );
            """),
    ]

    public init(db: Database) throws {
        self.db = db
        try db.migrate("officers", Self.migrations)
    }

    /// Registers officer `id` with its role and the SHA-256 (hex) of its token. An ID is never reused
    /// (a disabled officer keeps it), nor taken again in another letter case, so the ledger never
    /// confuses two people. Runs inside the caller's transaction, which records the change.
    public func add(_ id: String, name: String, role: Role, tokenSHA256: String, by actor: Actor) throws {
        guard Actor.isValidID(id) else {
            throw CustodyError.invalidInput(field: "id", "officer ID must be 1-64 letters, digits or ._@- characters")
        }
        guard !Actor.isReservedID(id) else {
            throw CustodyError.invalidInput(field: "id", Actor.reservedMessage(id, as: "officer ID"))
        }
        guard !name.isEmpty, name.utf8.count <= 200, !name.altersDisplay else {
            throw CustodyError.invalidInput(field: "name", "officer name must be 1-200 bytes with no control characters")
        }
        if let taken = try db.query("SELECT id FROM officers WHERE lower(id) = lower(?)", [.text(id)]).first?.text(0) {
            throw CustodyError.conflict(.officer, "officer \(taken) is already registered")
        }
        try db.query("""
            INSERT INTO officers (id, name, role, token_sha256, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)
            """, [.text(id), .text(name), .text(role.rawValue), .text(tokenSHA256), .text(Timestamp.rfc3339()),
                  .text(actor.description)])
    }

    /// The officer `id`, active or disabled, or nil.
    public func officer(_ id: String) throws -> Officer? {
        try db.query("SELECT \(Self.columns) FROM officers WHERE id = ?", [.text(id)]).first.map(Self.officer)
    }

    /// Every registered officer, by ID.
    public func list() throws -> [Officer] {
        try db.query("SELECT \(Self.columns) FROM officers ORDER BY id").map(Self.officer)
    }

    /// How many officers are registered (0 before the first `init` names one).
    public func count() throws -> Int {
        Int(try db.query("SELECT count(*) FROM officers").first?.int(0) ?? 0)
    }

    /// The officer whose token has SHA-256 `tokenSHA256` (hex), with the stored hash for the caller
    /// to compare in constant time, or nil.
    public func officer(tokenSHA256: String) throws -> (officer: Officer, storedSHA256: String)? {
        guard let row = try db.query("SELECT \(Self.columns), token_sha256 FROM officers WHERE token_sha256 = ?",
                                     [.text(tokenSHA256)]).first,
              let stored = row.text(6) else { return nil }
        return (Self.officer(row), stored)
    }

    /// Changes `id`'s role. Fails for an unknown officer.
    public func setRole(_ id: String, _ role: Role) throws {
        try db.query("UPDATE officers SET role = ? WHERE id = ?", [.text(role.rawValue), .text(id)])
        guard db.changes == 1 else { throw CustodyError.notFound(.officer, "unknown officer \(id)") }
    }

    /// Replaces `id`'s token hash: the old token stops working at once.
    public func setToken(_ id: String, tokenSHA256: String) throws {
        try db.query("UPDATE officers SET token_sha256 = ? WHERE id = ?", [.text(tokenSHA256), .text(id)])
        guard db.changes == 1 else { throw CustodyError.notFound(.officer, "unknown officer \(id)") }
    }

    /// Disables `id` at once (its token and `--as` are refused from then on). Returns when (RFC 3339).
    public func disable(_ id: String) throws -> String {
        let now = Timestamp.rfc3339()
        try db.query("UPDATE officers SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL", [.text(now), .text(id)])
        guard db.changes == 1 else {
            if let since = try officer(id)?.disabledAt {
                throw CustodyError.conflict(.officer, "officer \(id) is already disabled (since \(since))")
            }
            throw CustodyError.notFound(.officer, "unknown officer \(id)")
        }
        return now
    }

    static let columns = "id, name, role, created_at, created_by, disabled_at"

    static func officer(_ row: Row) -> Officer {
        Officer(id: row.text(0) ?? "", name: row.text(1) ?? "", role: Role(rawValue: row.text(2) ?? "") ?? .officer,
                createdAt: row.text(3) ?? "", createdBy: row.text(4) ?? "", disabledAt: row.text(5))
    }
}
