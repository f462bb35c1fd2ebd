import Catalog
import CustodyCore
import Ledger

/// What `case show` gives: the case and its exhibits, in the order they were added.
public struct CaseView {
    public let `case`: CaseRegistry.Case
    public let exhibits: [(exhibit: Exhibit, member: CaseRegistry.Member)]
}

/// Cases: creating one, adding exhibits to one (`manageCases`), listing them, showing one (`readCases`).
/// Creating a case and adding an exhibit to it are `link` events naming the case (and the exhibit); each
/// refused attempt (not allowed, a malformed reference, an unknown case or exhibit, a reference taken) is
/// one refused event of the permission's action (`link` for changes, `view` for reads), and changes nothing.
extension Vault {
    /// Creates the case `ref` (see `CaseRegistry.isValidRef`), with an optional title.
    public func createCase(_ ref: String, title: String?, by actor: Actor) throws -> CaseRegistry.Case {
        try withCases("create", ref, .manageCases, by: actor) { registry in
            let created = try registry.create(ref, title: title, by: actor)
            try record(CustodyEvent(actor: actor, action: .link, caseID: ref,
                                    details: ["case": ref, "change": "created"]))
            return created
        }
    }

    /// Adds the exhibits `references` name (`EX-000001` or a SHA-256 prefix) to the case `ref`, each
    /// with its own event. All or none: one unknown reference refuses them all. An exhibit in the case
    /// already is left as it is, with no event; the answer says which were added (true) and which not.
    public func addToCase(_ ref: String, exhibits references: [String], by actor: Actor) throws
        -> [(exhibit: Exhibit, added: Bool)] {
        let result: [(exhibit: Exhibit, added: Bool)] = try withCases("add", ref, .manageCases, by: actor) { registry in
            let found = try registry.get(ref)
            guard !references.isEmpty else {
                throw CustodyError.invalidInput(field: "exhibit", "no exhibit to add to case \(found.ref)")
            }
            var seen = Set<String>()
            let exhibits = try references.map { try live(catalog.find($0)) }.filter { seen.insert($0.id).inserted }
            return try exhibits.map { exhibit in
                let added = try registry.add(exhibit.id, to: found, by: actor)
                if added {
                    try record(CustodyEvent(actor: actor, action: .link, exhibit: exhibit.id, caseID: found.ref,
                                            objectSHA256: exhibit.sha256.hex,
                                            details: ["case": found.ref, "change": "added"]))
                }
                return (exhibit, added)
            }
        }
        settleLocks(for: result.filter { $0.1 }.map { $0.0.id })  // an open case keeps them: locked ahead
        return result
    }

    /// Every case, oldest first, with how many exhibits each holds. Not recorded when allowed.
    public func cases(for actor: Actor) throws -> [CaseRegistry.Case] {
        try withCases("list", nil, .readCases, by: actor) { try $0.all() }
    }

    /// One case and its exhibits. Not recorded when allowed; an unknown case is a refused attempt.
    public func caseDetail(_ ref: String, for actor: Actor) throws -> CaseView {
        try withCases("show", ref, .readCases, by: actor) { registry in
            let found = try registry.get(ref)
            let exhibits = try registry.members(of: found).map { member in
                (try catalog.find(member.exhibit), member)
            }
            return CaseView(case: found, exhibits: exhibits)
        }
    }

    /// Authorizes `actor`, then runs `body` in one transaction with its events; a refusal (not allowed,
    /// bad input, no such case or exhibit, a reference taken) is recorded, after the rollback.
    private func withCases<T>(_ change: String, _ ref: String?, _ permission: Permission, by actor: Actor,
                              _ body: (CaseRegistry) throws -> T) throws -> T {
        var details = ["change": change]
        details["case"] = ref.map { String($0.prefix(64)) }
        try authorize(actor, to: permission, details: details)
        do { return try db.transaction { try body(caseRegistry) } } catch let e as CustodyError
            where e.isCallersFault {
            refuse(actor, permission.action, reason: e.message, details: details)
            throw e
        }
    }
}
