import Catalog
import CustodyCore
import Ledger

/// `custody restore`: brings back an exhibit retention deleted, within `restoreWindow` of its
/// deletion and before it is purged. A `restore` event; a refused attempt is a refused `restore`.
extension Vault {
    /// Restores the exhibit `reference` names. Returns it and the deletion undone. A restored exhibit
    /// that is still due is deleted again by the next run, unless held, put in an open case or
    /// categorised for longer.
    public func restore(_ reference: String, by actor: Actor) throws
        -> (exhibit: Exhibit, deletion: DeletionRegistry.Deletion) {
        let details = ["reference": String(reference.prefix(100))]
        let result = try withRetention(.manageRetention, .restore, details: details, by: actor) {
            let exhibit = try catalog.find(reference)
            guard let deletion = try deletionRegistry.deletion(of: exhibit.id) else {
                throw CustodyError.conflict(.exhibit, "\(exhibit.id) is not deleted: there is nothing to restore")
            }
            guard deletion.purgedAt == nil, clock.now() < deletion.deletedAt + Self.restoreWindow else {
                throw CustodyError.conflict(.exhibit, "\(exhibit.id) was deleted on \(Self.time(deletion.deletedAt)), "
                                            + "more than 7 days ago: it can no longer be restored")
            }
            try deletionRegistry.unmark(exhibit.id)
            try record(CustodyEvent(actor: actor, action: .restore, exhibit: exhibit.id,
                                    objectSHA256: exhibit.sha256.hex,
                                    details: ["deleted_event": String(deletion.event),
                                              "deleted_at": Self.time(deletion.deletedAt)]))
            return (exhibit, deletion)
        }
        settleLocks(for: [result.0.id])
        return result
    }
}
