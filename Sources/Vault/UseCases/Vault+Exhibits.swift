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
    /// The exhibit `reference` names (`EX-000001` or a SHA-256 prefix), for `action` by `actor`.
    /// An attempt on one that does not exist (or that retention deleted) is an access attempt too:
    /// recorded as refused.
    public func exhibit(_ reference: String, for action: CustodyEvent.Action, by actor: Actor) throws -> Exhibit {
        do { return try live(catalog.find(reference)) } catch let e as CustodyError where e.isCallersFault {
            refuse(actor, action, reason: e.message, details: ["reference": String(reference.prefix(100))])
            throw e
        }
    }

    /// Shows one exhibit: a `view` event, recorded before anything is read.
    public func show(_ reference: String, by actor: Actor) throws -> ExhibitView {
        let exhibit = try exhibit(reference, for: .view, by: actor)
        try authorize(actor, .view, exhibit: exhibit.id)
        try record(CustodyEvent(actor: actor, action: .view, exhibit: exhibit.id, objectSHA256: exhibit.sha256.hex))
        return ExhibitView(
            exhibit: exhibit, chunks: try catalog.chunks(of: exhibit).count,
            derived: try catalog.derived(from: exhibit).filter { try deletionRegistry.deletion(of: $0.id) == nil },
            parent: try exhibit.parentSHA256.flatMap { try catalog.exhibit(sha256: $0) },
            storedBy: try events.creationEvent(exhibit: exhibit.id).map { "\($0.actor.kind.rawValue):\($0.actor.id)" },
            ledgerDisagreements: try ledgerDisagreements(exhibit))
    }

    /// Every exhibit, oldest first. Not recorded, and open to whoever can open the data directory
    /// (as before the application layer); a role check slots in here.
    public func exhibits(for actor: Actor) throws -> [Exhibit] {
        let deleted = try deletionRegistry.all()
        return try catalog.all().filter { deleted[$0.id] == nil }
    }

    /// Exports the exhibit `reference` names (see `export(_:to:actor:reason:progress:)`).
    public func export(_ reference: String, to out: String, by actor: Actor, reason: String,
                       progress: ((Int64, Int64) -> Void)? = nil) throws -> Exhibit {
        let exhibit = try exhibit(reference, for: .export, by: actor)
        try export(exhibit, to: out, actor: actor, reason: reason, progress: progress)
        return exhibit
    }
}
