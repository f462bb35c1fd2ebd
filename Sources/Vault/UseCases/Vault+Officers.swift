import Catalog
import CustodyCore
import Ledger

/// Officers: registering one (with a role and a personal token), disabling one, changing a role, issuing
/// a new token, listing them. Each change, and each refused attempt at one, is an `officer` event naming
/// the officer and the change. The vault always keeps an active supervisor: none disables themselves, and
/// the last active supervisor is neither disabled nor given another role.
extension Vault {
    /// Registers officer `id` with `role` and returns their personal token (shown once; only its hash
    /// is stored). `actor` must be allowed to manage officers.
    public func addOfficer(_ id: String, name: String, role: Role, by actor: Actor) throws -> String {
        try changingOfficer(id, ["change": "added", "role": role.rawValue], by: actor) {
            let token = try OfficerToken.make()
            try officerRegistry.add(id, name: name, role: role, tokenSHA256: OfficerToken.sha256(token), by: actor)
            return token
        }
    }

    /// Disables officer `id` at once: their token and `--as` are refused from then on; the ID is never
    /// reused. Returns when (RFC 3339).
    @discardableResult
    public func disableOfficer(_ id: String, by actor: Actor) throws -> String {
        try changingOfficer(id, ["change": "disabled"], by: actor) {
            if actor.kind == .officer && actor.id == id {
                throw CustodyError.refused("officer \(id) may not disable themselves; another supervisor can")
            }
            try keepsASupervisor(without: id, "disabling")
            return try officerRegistry.disable(id)
        }
    }

    /// Gives officer `id` the role `role`.
    public func setOfficerRole(_ id: String, _ role: Role, by actor: Actor) throws {
        try changingOfficer(id, ["change": "role", "role": role.rawValue], by: actor) {
            if role != .supervisor { try keepsASupervisor(without: id, "giving another role to") }
            try officerRegistry.setRole(id, role)
        }
    }

    /// Issues officer `id` a new personal token and returns it (shown once); the old one stops working.
    public func newOfficerToken(_ id: String, by actor: Actor) throws -> String {
        try changingOfficer(id, ["change": "token"], by: actor) {
            let token = try OfficerToken.make()
            try officerRegistry.setToken(id, tokenSHA256: OfficerToken.sha256(token))
            return token
        }
    }

    /// Every registered officer, active and disabled, by ID. Not recorded when allowed.
    public func officers(for actor: Actor) throws -> [OfficerRegistry.Officer] {
        try authorize(actor, to: .readOfficers)
        return try officerRegistry.list()
    }

    /// Whether any officer is registered (`init` says how to register the first); tells nothing more.
    public func hasOfficers() throws -> Bool { try officerRegistry.count() > 0 }

    /// Registers `actor` as the vault's first supervisor when no officer is registered yet (a new vault,
    /// or one made before officers were), acting as custody itself; returns their token, or nil when the
    /// vault has officers already or `actor` is no officer.
    func registerFirstSupervisor(_ actor: Actor) throws -> String? {
        guard actor.kind == .officer, try officerRegistry.count() == 0 else { return nil }
        return try addOfficer(actor.id, name: actor.id, role: .supervisor, by: .system)
    }

    /// Refuses a change that would leave no active supervisor other than officer `id`.
    private func keepsASupervisor(without id: String, _ doing: String) throws {
        guard let officer = try officerRegistry.officer(id), officer.isActive, officer.role == .supervisor else {
            return
        }
        let others = try officerRegistry.list().filter { $0.id != id && $0.isActive && $0.role == .supervisor }
        if others.isEmpty {
            throw CustodyError.refused("\(id) is the last active supervisor; \(doing) them would leave no one to "
                                       + "manage officers: make another officer a supervisor first")
        }
    }

    /// Authorizes `actor` to manage officers, then runs `body` and records its `officer` event in one
    /// transaction; a refusal (not allowed, bad input, no such officer, an ID taken, the last supervisor)
    /// is recorded too, after the rollback.
    private func changingOfficer<T>(_ id: String, _ change: [String: String], by actor: Actor,
                                    _ body: () throws -> T) throws -> T {
        var details = change
        details["officer"] = String(id.prefix(64))
        try authorize(actor, to: .manageOfficers, details: details)
        do {
            return try db.transaction {
                let result = try body()
                try record(CustodyEvent(actor: actor, action: .officer, details: details))
                return result
            }
        } catch let e as CustodyError where e.isCallersFault {
            refuse(actor, .officer, reason: e.message, details: details)
            throw e
        }
    }
}
