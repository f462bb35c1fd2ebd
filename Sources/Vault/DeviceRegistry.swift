import CustodyCore
import Crypto
import SQLite

/// Docking stations allowed to upload, each with its own bearer token. Only the SHA-256 of a token
/// is stored; the token itself is shown once, when the device is added. SQL only: adding and
/// revoking are use cases of `Vault` (`Vault+Devices.swift`), which record them.
public final class DeviceRegistry {
    public struct Device: Sendable, Equatable {
        public let name: String
        public let createdAt: String
        public let createdBy: String
        public let revokedAt: String?
        public var isActive: Bool { revokedAt == nil }
    }

    /// Tokens look like `cdt_<43 base64url characters>` (32 random bytes).
    public static let tokenPrefix = "cdt_"
    static let maxTokenLength = 256

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

    /// Registers `name` and returns its new token. Fails if the name is taken (even when revoked:
    /// names stay unique so the ledger never confuses two docks). Runs inside the caller's
    /// transaction, which records the change (`Vault.addDevice`).
    func add(_ name: String, by actor: Actor) throws -> String {
        guard Actor.isValidID(name) else {
            throw CustodyError.invalidInput(field: "name",
                                            "device name must be 1-64 letters, digits or ._@- characters")
        }
        guard !Self.reservedNames.contains(name.lowercased()) else {
            throw CustodyError.invalidInput(field: "name", "\(name) is reserved (the ledger's actor for refused "
                                            + "attempts); choose another")
        }
        let token = Self.tokenPrefix + Base64.urlEncode(try SecureRandom.bytes(32))
        if try !db.query("SELECT 1 FROM devices WHERE name = ?", [.text(name)]).isEmpty {
            throw CustodyError.conflict(.device, "a device named \(name) already exists")
        }
        try db.query("INSERT INTO devices (name, token_sha256, created_at, created_by) VALUES (?, ?, ?, ?)",
                     [.text(name), .text(Self.hash(token)), .text(Timestamp.rfc3339()), .text(actor.id)])
        return token
    }

    /// Names no dock may have: the actor refused upload attempts are recorded under.
    static let reservedNames: Set<String> = ["unauthenticated"]

    /// Revokes `name`'s token at once; its uploads are refused from then on. Returns when (RFC 3339).
    /// An unknown or already revoked device is refused, saying which. Runs inside the caller's
    /// transaction, which records the change (`Vault.revokeDevice`).
    func revoke(_ name: String) throws -> String {
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

    /// The active device a bearer token belongs to, or nil (unknown, malformed or revoked).
    public func authenticate(token: String) throws -> String? {
        guard token.hasPrefix(Self.tokenPrefix), token.utf8.count <= Self.maxTokenLength else { return nil }
        let presented = Self.hash(token)
        guard let row = try db.query("SELECT name, token_sha256, revoked_at FROM devices WHERE token_sha256 = ?",
                                     [.text(presented)]).first,
              let stored = row.text(1),
              ConstantTime.equals(Array(stored.utf8), Array(presented.utf8)),
              row.text(2) == nil
        else { return nil }
        return row.text(0)
    }

    static func hash(_ token: String) -> String { SHA256.hash(Array(token.utf8)).hex }
}
