import Catalog
import Crypto
import CustodyCore
import Ledger

/// Docking stations: registering one, listing them, revoking one. Each change, and each refused
/// attempt at one, is a `device` event. Remote workers follow the same rules (`Vault+Workers.swift`).
extension Vault {
    /// Registers the dock `name` and returns its token (shown once; only its hash is stored).
    public func addDevice(_ name: String, by actor: Actor) throws -> String {
        try addMachine(.dock, name, by: actor)
    }

    /// Revokes the dock `name`'s token at once. Returns when (RFC 3339).
    @discardableResult
    public func revokeDevice(_ name: String, by actor: Actor) throws -> String {
        try revokeMachine(.dock, name, by: actor)
    }

    /// The registered docks, active and revoked. Not recorded when allowed.
    public func devices(for actor: Actor) throws -> [DeviceRegistry.Device] {
        try authorize(actor, to: .readDevices)
        return try deviceRegistry.list()
    }

    /// Registers `name` and returns its token, recorded as a `device` event naming it (`device` or
    /// `worker`) and the change.
    func addMachine(_ machine: DeviceRegistry.Machine, _ name: String, by actor: Actor) throws -> String {
        try changingMachine(machine, "add", name, by: actor) {
            let token = MachineToken.prefix(machine) + Base64.urlEncode(try SecureRandom.bytes(32))
            try deviceRegistry.add(name, tokenSHA256: MachineToken.sha256(token), by: actor, as: machine)
            try record(CustodyEvent(actor: actor, action: .device, details: [machine.noun: name, "change": "added"]))
            return token
        }
    }

    /// Revokes `name`'s token; `also` runs in the same transaction (a worker's leases end).
    func revokeMachine(_ machine: DeviceRegistry.Machine, _ name: String, by actor: Actor,
                       also: () throws -> Void = {}) throws -> String {
        try changingMachine(machine, "revoke", name, by: actor) {
            let at = try deviceRegistry.revoke(name, as: machine)
            try also()
            try record(CustodyEvent(actor: actor, action: .device, details: [machine.noun: name, "change": "revoked"]))
            return at
        }
    }

    /// Authorizes `actor`, then runs `body` in one transaction with its event; a refusal (not
    /// allowed, a bad or taken name, no such dock or worker) is recorded too.
    private func changingMachine<T>(_ machine: DeviceRegistry.Machine, _ change: String, _ name: String,
                                    by actor: Actor, _ body: () throws -> T) throws -> T {
        let details = [machine.noun: String(name.prefix(64)), "change": change]
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
        try authenticate(token, as: .dock)
    }

    /// The active machine of kind `machine` a bearer token belongs to, or nil; the stored hash is
    /// compared in constant time.
    func authenticate(_ token: String, as machine: DeviceRegistry.Machine) throws -> String? {
        guard token.hasPrefix(MachineToken.prefix(machine)), token.utf8.count <= MachineToken.maxLength else {
            return nil
        }
        let presented = MachineToken.sha256(token)
        guard let device = try deviceRegistry.device(tokenSHA256: presented, as: machine),
              ConstantTime.equals(Array(device.storedSHA256.utf8), Array(presented.utf8)),
              device.isActive
        else { return nil }
        return device.name
    }
}

/// A dock's or worker's bearer token: `cdt_` (dock) or `cwt_` (worker) and 43 base64url characters
/// (32 random bytes), shown once when it is added; only its SHA-256 is stored.
enum MachineToken {
    static func prefix(_ machine: DeviceRegistry.Machine) -> String { machine == .dock ? "cdt_" : "cwt_" }
    static let maxLength = 256
    static func sha256(_ token: String) -> String { SHA256.hash(Array(token.utf8)).hex }
}
