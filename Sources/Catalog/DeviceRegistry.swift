import CustodyCore
import SQLite

/// Docking stations allowed to upload, each with its own bearer token, of which only the SHA-256 is
/// stored. SQL only: tokens are made and checked, and adding and revoking recorded, by the use
/// cases of `Vault` (`Vault+Devices.swift`).
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
    ]

    public init(db: Database) throws {
        self.db = db
        try db.migrate("devices", Self.migrations)
    }

    /// Registers `name` with the SHA-256 (hex) of its token. Fails if the name is taken (even when
    /// revoked: names stay unique so the ledger never confuses two docks). Runs inside the caller's
    /// transaction, which records the change (`Vault.addDevice`).
    public func add(_ name: String, tokenSHA256: String, by actor: Actor) throws {
        guard Actor.isValidID(name) else {
            throw CustodyError.invalidInput(field: "name",
                                            "device name must be 1-64 letters, digits or ._@- characters")
        }
        guard !Actor.isReservedID(name) else {
            throw CustodyError.invalidInput(field: "name", Actor.reservedMessage(name, as: "device name"))
        }
        if try !db.query("SELECT 1 FROM devices WHERE name = ?", [.text(name)]).isEmpty {
            throw CustodyError.conflict(.device, "a device named \(name) already exists")
        }
        try db.query("INSERT INTO devices (name, token_sha256, created_at, created_by) VALUES (?, ?, ?, ?)",
                     [.text(name), .text(tokenSHA256), .text(Timestamp.rfc3339()), .text(actor.id)])
    }

    /// Revokes `name`'s token at once; its uploads are refused from then on. Returns when (RFC 3339).
    /// An unknown or already revoked device is refused, saying which. Runs inside the caller's
    /// transaction, which records the change (`Vault.revokeDevice`).
    public func revoke(_ name: String) throws -> String {
        let now = Timestamp.rfc3339()
        try db.query("UPDATE devices SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                     [.text(now), .text(name)])
        guard db.changes == 1 else {
            if let since = try list().first(where: { $0.name == name })?.revokedAt {
                throw CustodyError.conflict(.device, "device \(name) is already revoked (since \(since))")
            }
            throw CustodyError.notFound(.device, "unknown device \(name)")
        }
        return now
    }

    /// True when `name` is a registered dock whose token is not revoked.
    public func isActive(_ name: String) throws -> Bool {
        try !db.query("SELECT 1 FROM devices WHERE name = ? AND revoked_at IS NULL", [.text(name)]).isEmpty
    }

    public func list() throws -> [Device] {
        try db.query("SELECT name, created_at, created_by, revoked_at FROM devices ORDER BY name").map { row in
            Device(name: row.text(0) ?? "", createdAt: row.text(1) ?? "", createdBy: row.text(2) ?? "",
                   revokedAt: row.text(3))
        }
    }

    /// The device whose token has SHA-256 `tokenSHA256` (hex), with the stored hash for the caller
    /// to compare in constant time, or nil.
    public func device(tokenSHA256: String) throws -> (name: String, storedSHA256: String, isActive: Bool)? {
        guard let row = try db.query("SELECT name, token_sha256, revoked_at FROM devices WHERE token_sha256 = ?",
                                     [.text(tokenSHA256)]).first,
              let name = row.text(0), let stored = row.text(1) else { return nil }
        return (name, stored, row.text(2) == nil)
    }
}
