import CustodyCore
import SQLite

/// Docking stations allowed to upload, and remote workers allowed to lease redactions, each with its
/// own bearer token, of which only the SHA-256 is stored. SQL only: tokens are made and checked, and
/// adding and revoking recorded, by the use cases of `Vault` (`Vault+Devices.swift`, `Vault+Workers.swift`).
public final class DeviceRegistry {
    public struct Device: Sendable, Equatable {
        public let name: String
        public let createdAt: String
        public let createdBy: String
        public let revokedAt: String?
        public var isActive: Bool { revokedAt == nil }
    }

    let db: Database

    static let migrations = [
        Migration(1, """
            CREATE TABLE devices (
                name TEXT PRIMARY KEY,
                token_sha256 TEXT NOT NULL UNIQUE,
                created_at TEXT NOT NULL,
                created_by TEXT NOT NULL,
                revoked_at TEXT
            );
            """),
        // Remote redaction workers (`DeviceRegistry+Workers.swift`): machines with a token, as docks are.
        Migration(2, """
            CREATE TABLE workers (
                name TEXT PRIMARY KEY,
                token_sha256 TEXT NOT NULL UNIQUE,
                created_at TEXT NOT NULL,
                created_by TEXT NOT NULL,
                revoked_at TEXT
            );
            """),
    ]

    public init(db: Database) throws {
        self.db = db
        try db.migrate("devices", Self.migrations)
    }

    /// What kind of machine a row is: a dock (table `devices`) or a remote redaction worker (`workers`,
    /// `custody worker --server`). Both follow the same rules: unique names never reused, tokens
    /// stored hashed, revoked for good.
    public enum Machine: String, Sendable {
        case dock, worker

        var table: String { self == .dock ? "devices" : "workers" }
        /// How messages name it.
        public var noun: String { self == .dock ? "device" : "worker" }
    }

    /// Registers `name` with the SHA-256 (hex) of its token. Fails if the name is taken (even when
    /// revoked: names stay unique so the ledger never confuses two machines). Runs inside the caller's
    /// transaction, which records the change (`Vault.addDevice`, `Vault.addWorker`).
    public func add(_ name: String, tokenSHA256: String, by actor: Actor, as machine: Machine = .dock) throws {
        guard Actor.isValidID(name) else {
            throw CustodyError.invalidInput(field: "name",
                                            "\(machine.noun) name must be 1-64 letters, digits or ._@- characters")
        }
        guard !Actor.isReservedID(name) else {
            throw CustodyError.invalidInput(field: "name", Actor.reservedMessage(name, as: "\(machine.noun) name"))
        }
        if try !db.query("SELECT 1 FROM \(machine.table) WHERE name = ?", [.text(name)]).isEmpty {
            throw CustodyError.conflict(.device, "a \(machine.noun) named \(name) already exists")
        }
        try db.query("INSERT INTO \(machine.table) (name, token_sha256, created_at, created_by) VALUES (?, ?, ?, ?)",
                     [.text(name), .text(tokenSHA256), .text(Timestamp.rfc3339()), .text(actor.id)])
    }

    /// Revokes `name`'s token at once; its requests are refused from then on. Returns when (RFC 3339).
    /// An unknown or already revoked one is refused, saying which. Runs inside the caller's
    /// transaction, which records the change (`Vault.revokeDevice`, `Vault.revokeWorker`).
    public func revoke(_ name: String, as machine: Machine = .dock) throws -> String {
        let now = Timestamp.rfc3339()
        try db.query("UPDATE \(machine.table) SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                     [.text(now), .text(name)])
        guard db.changes == 1 else {
            if let since = try list(machine).first(where: { $0.name == name })?.revokedAt {
                throw CustodyError.conflict(.device, "\(machine.noun) \(name) is already revoked (since \(since))")
            }
            throw CustodyError.notFound(.device, "unknown \(machine.noun) \(name)")
        }
        return now
    }

    /// True when `name` is registered and its token not revoked.
    public func isActive(_ name: String, as machine: Machine = .dock) throws -> Bool {
        try !db.query("SELECT 1 FROM \(machine.table) WHERE name = ? AND revoked_at IS NULL", [.text(name)]).isEmpty
    }

    public func list(_ machine: Machine = .dock) throws -> [Device] {
        let sql = "SELECT name, created_at, created_by, revoked_at FROM \(machine.table) ORDER BY name"
        return try db.query(sql).map { row in
            Device(name: row.text(0) ?? "", createdAt: row.text(1) ?? "", createdBy: row.text(2) ?? "",
                   revokedAt: row.text(3))
        }
    }

    /// The machine whose token has SHA-256 `tokenSHA256` (hex), with the stored hash for the caller
    /// to compare in constant time, or nil.
    public func device(tokenSHA256: String, as machine: Machine = .dock) throws
        -> (name: String, storedSHA256: String, isActive: Bool)? {
        let sql = "SELECT name, token_sha256, revoked_at FROM \(machine.table) WHERE token_sha256 = ?"
        guard let row = try db.query(sql, [.text(tokenSHA256)]).first,
              let name = row.text(0), let stored = row.text(1) else { return nil }
        return (name, stored, row.text(2) == nil)
    }
}
