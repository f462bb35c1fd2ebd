import CustodyCore
import Crypto
import Ledger
import SQLite

/// Docking stations allowed to upload, each with its own bearer token. Only the SHA-256 of a token
/// is stored; the token itself is shown once, when the device is added.
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
    /// names stay unique so the ledger never confuses two docks).
    public func add(_ name: String, by actor: Actor, events: EventLog) throws -> String {
        try recordingRefusal(of: "add", name, by: actor, events: events) {
            guard Actor.isValidID(name) else {
                throw CustodyError.usage("device name must be 1-64 letters, digits or ._@- characters")
            }
            guard !Self.reservedNames.contains(name.lowercased()) else {
                throw CustodyError.usage("\(name) is reserved (the ledger's actor for refused attempts); choose another")
            }
            let token = Self.tokenPrefix + Base64.urlEncode(try SecureRandom.bytes(32))
            try db.transaction {
                if try !db.query("SELECT 1 FROM devices WHERE name = ?", [.text(name)]).isEmpty {
                    throw CustodyError.usage("a device named \(name) already exists; `custody device list` shows them")
                }
                try db.query("INSERT INTO devices (name, token_sha256, created_at, created_by) VALUES (?, ?, ?, ?)",
                             [.text(name), .text(Self.hash(token)), .text(Timestamp.rfc3339()), .text(actor.id)])
                try events.append(CustodyEvent(actor: actor, action: .device,
                                               details: ["device": name, "change": "added"]))
            }
            return token
        }
    }

    /// Names no dock may have: the actor refused upload attempts are recorded under.
    static let reservedNames: Set<String> = ["unauthenticated"]

    /// Revokes `name`'s token at once; its uploads are refused from then on. Returns when (RFC 3339).
    /// An unknown or already revoked device is refused, saying which.
    @discardableResult
    public func revoke(_ name: String, by actor: Actor, events: EventLog) throws -> String {
        try recordingRefusal(of: "revoke", name, by: actor, events: events) {
            try db.transaction {
                let now = Timestamp.rfc3339()
                try db.query("UPDATE devices SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                             [.text(now), .text(name)])
                guard db.changes == 1 else {
                    if let since = try list().first(where: { $0.name == name })?.revokedAt {
                        throw CustodyError.usage("device \(name) is already revoked (since \(since))")
                    }
                    throw CustodyError.usage("unknown device \(name); `custody device list` shows them")
                }
                try events.append(CustodyEvent(actor: actor, action: .device,
                                               details: ["device": name, "change": "revoked"]))
                return now
            }
        }
    }

    /// Runs `body`; a refusal (bad or taken name, no such device) is recorded in the ledger too.
    private func recordingRefusal<T>(of change: String, _ name: String, by actor: Actor, events: EventLog,
                                     _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as CustodyError where e.kind == .usage {
            _ = try? events.append(CustodyEvent(actor: actor, action: .device, outcome: .refused, reason: e.message,
                                                details: ["device": String(name.prefix(64)), "change": change]))
            throw e
        }
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
