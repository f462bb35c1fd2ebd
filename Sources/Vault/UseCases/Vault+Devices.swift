import Catalog
import Crypto
import CustodyCore
import Ledger

/// Docking stations: registering one, listing them, revoking one. Each change, and each refused
/// attempt at one, is a `device` event.
extension Vault {
    /// Registers the dock `name` and returns its token (shown once; only its hash is stored).
    public func addDevice(_ name: String, by actor: Actor) throws -> String {
        try changingDevice("add", name, by: actor) {
            let token = DockToken.prefix + Base64.urlEncode(try SecureRandom.bytes(32))
            try deviceRegistry.add(name, tokenSHA256: DockToken.sha256(token), by: actor)
            try record(CustodyEvent(actor: actor, action: .device, details: ["device": name, "change": "added"]))
            return token
        }
    }

    /// Revokes the dock `name`'s token at once. Returns when (RFC 3339).
    @discardableResult
    public func revokeDevice(_ name: String, by actor: Actor) throws -> String {
        try changingDevice("revoke", name, by: actor) {
            let at = try deviceRegistry.revoke(name)
            try record(CustodyEvent(actor: actor, action: .device, details: ["device": name, "change": "revoked"]))
            return at
        }
    }

    /// The registered docks, active and revoked. Not recorded when allowed.
    public func devices(for actor: Actor) throws -> [DeviceRegistry.Device] {
        try authorize(actor, to: .readDevices)
        return try deviceRegistry.list()
    }

    /// Authorizes `actor`, then runs `body` in one transaction with its event; a refusal (not
    /// allowed, a bad or taken name, no such device) is recorded too.
    private func changingDevice<T>(_ change: String, _ name: String, by actor: Actor, _ body: () throws -> T) throws
        -> T {
        let details = ["device": String(name.prefix(64)), "change": change]
        try authorize(actor, to: .manageDevices, details: details)
        do { return try db.transaction(body) } catch let e as CustodyError where e.isCallersFault {
            refuse(actor, .device, reason: e.message, details: details)
            throw e
        }
    }
}

extension Vault {
    /// The active dock a bearer token belongs to, or nil (unknown, malformed or revoked). The caller
    /// records a refusal for nil (`refuse`), within its budget.
    public func authenticate(token: String) throws -> String? {
        guard token.hasPrefix(DockToken.prefix), token.utf8.count <= DockToken.maxLength else { return nil }
        let presented = DockToken.sha256(token)
        guard let device = try deviceRegistry.device(tokenSHA256: presented),
              ConstantTime.equals(Array(device.storedSHA256.utf8), Array(presented.utf8)),
              device.isActive
        else { return nil }
        return device.name
    }
}

/// A dock's bearer token: `cdt_<43 base64url characters>` (32 random bytes), shown once when the dock
/// is added; only its SHA-256 is stored.
enum DockToken {
    static let prefix = "cdt_"
    static let maxLength = 256
    static func sha256(_ token: String) -> String { SHA256.hash(Array(token.utf8)).hex }
}
