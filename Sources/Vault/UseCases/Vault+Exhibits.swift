import CustodyCore
import Catalog
import Ledger

/// What `show` gives: the exhibit and what is known around it.
public struct ExhibitView {
    public let exhibit: Exhibit
    public let chunks: Int
    /// The exhibits derived from it (redactions), and the one it was derived from.
    public let derived: [Exhibit]
    public let parent: Exhibit?
    /// Who stored it, from the ledger event that created it (`officer:PC-1`, `device:dock-1`).
    public let storedBy: String?
    /// How the catalog disagrees with that event; empty when it agrees.
    public let ledgerDisagreements: [String]
}

/// Reading the evidence: finding, showing and listing exhibits.
extension Vault {
    /// The exhibit `reference` names (`EX-000001` or a SHA-256 prefix), once `actor` is authorized for
    /// `permission` on it (an officer: on their own recordings). An attempt on one that does not exist (or
    /// that retention deleted) is an access attempt too: recorded as refused; a refused one names the exhibit.
    /// `includingDeleted`: an exhibit retention deleted is found too (its history stays in the ledger).
    public func exhibit(_ reference: String, for permission: Permission, by actor: Actor,
                        includingDeleted: Bool = false) throws -> Exhibit {
        let found: Exhibit
        do {
            let exhibit = try catalog.find(reference)
            found = includingDeleted ? exhibit : try live(exhibit)
        } catch let e as CustodyError where e.isCallersFault {
            refuse(actor, permission.action, reason: e.message, details: ["reference": String(reference.prefix(100))])
            throw e
        }
        try authorize(actor, to: permission, exhibit: found)
        return found
    }

    /// Shows one exhibit: a `view` event, recorded before anything is read.
    public func show(_ reference: String, by actor: Actor) throws -> ExhibitView {
        let exhibit = try exhibit(reference, for: .showExhibit, by: actor)
        try record(CustodyEvent(actor: actor, action: .view, exhibit: exhibit.id, objectSHA256: exhibit.sha256.hex))
        return ExhibitView(
            exhibit: exhibit, chunks: try catalog.chunks(of: exhibit).count,
            derived: try catalog.derived(from: exhibit).filter { try deletionRegistry.deletion(of: $0.id) == nil },
            parent: try exhibit.parentSHA256.flatMap { try catalog.exhibit(sha256: $0) },
            storedBy: try events.creationEvent(exhibit: exhibit.id).map { "\($0.actor.kind.rawValue):\($0.actor.id)" },
            ledgerDisagreements: try ledgerDisagreements(exhibit))
    }

    /// The exhibits `actor` may see, oldest first: every one, or for the role `officer` only those they
    /// recorded (and the clips derived from them). Not recorded when allowed.
    public func exhibits(for actor: Actor) throws -> [Exhibit] {
        try authorize(actor, to: .listExhibits, filteredToOwn: true)
        let deleted = try deletionRegistry.all()
        let all = try catalog.all()
        let live = all.filter { deleted[$0.id] == nil }
        guard try role(of: actor).map({ RolePolicy.reach($0, .listExhibits) }) == .own else { return live }
        let bySHA256 = Dictionary(all.map { ($0.sha256, $0) }, uniquingKeysWith: { first, _ in first })
        return live.filter { Self.recorder(of: $0, parent: { bySHA256[$0] }) == actor.id }
    }

    /// Exports the exhibit `reference` names (see `export(_:to:actor:reason:progress:)`).
    public func export(_ reference: String, to out: String, by actor: Actor, reason: String,
                       progress: ((Int64, Int64) -> Void)? = nil) throws -> Exhibit {
        let exhibit = try exhibit(reference, for: .exportExhibit, by: actor)
        try export(exhibit, to: out, actor: actor, reason: reason, progress: progress)
        return exhibit
    }
}
