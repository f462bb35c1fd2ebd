import Catalog
import CustodyCore
import Ledger

/// Officers: registering one (with a role and a personal token), and the changes to them. Each change,
/// and each refused attempt at one, is an `officer` event.
extension Vault {
    /// Registers officer `id` with `role` and returns their personal token (shown once; only its hash
    /// is stored). `actor` must be allowed to manage officers.
    public func addOfficer(_ id: String, name: String, role: Role, by actor: Actor) throws -> String {
        let details = ["officer": String(id.prefix(64)), "change": "added", "role": role.rawValue]
        try authorize(actor, to: .manageOfficers, details: details)
        do {
            return try db.transaction {
                let token = try OfficerToken.make()
                try officerRegistry.add(id, name: name, role: role, tokenSHA256: OfficerToken.sha256(token), by: actor)
                try record(CustodyEvent(actor: actor, action: .officer, details: details))
                return token
            }
        } catch let e as CustodyError where e.isCallersFault {
            refuse(actor, .officer, reason: e.message, details: details)
            throw e
        }
    }
}
