import Catalog
import CustodyCore
import Ledger

/// Deleted exhibits that something keeps again: a hold placed on their case, their case reopened, or
/// (found by the run before it purges them) any rule that keeps them now. A deletion is only final
/// once purged, and a purge must not destroy what a court has since asked to keep: such an exhibit
/// is restored, recorded as a `restore` event naming why (`kept`), and retention decides on it again
/// from then on like on any other.
extension Vault {
    /// Restores those of `ids` that retention deleted and has not purged, because `why` keeps them.
    /// Returns the IDs restored. The caller holds the transaction.
    @discardableResult
    func restoreKept(_ ids: [String], because why: String, by actor: Actor) throws -> [String] {
        var restored = [String]()
        for id in ids {
            guard let deletion = try deletionRegistry.deletion(of: id), deletion.purgedAt == nil else { continue }
            let exhibit = try catalog.find(id)
            try deletionRegistry.unmark(id)
            try record(CustodyEvent(actor: actor, action: .restore, exhibit: id, objectSHA256: exhibit.sha256.hex,
                                    reason: "kept again before its purge: \(why)",
                                    details: ["kept": why, "deleted_event": String(deletion.event),
                                              "deleted_at": Self.time(deletion.deletedAt)]))
            restored.append(id)
        }
        return restored
    }

    /// Restores the deleted, unpurged exhibits of case `ref`, which something now keeps (`why`).
    func restoreKept(inCase ref: String, because why: String, by actor: Actor) throws {
        let members = try caseRegistry.members(of: caseRegistry.get(ref)).map(\.exhibit)
        try restoreKept(members, because: why, by: actor)
    }

    /// Why `exhibit`, deleted and due to be purged, is kept when decided again over its family as it is
    /// now (as if it were not deleted): a hold or open case added since, something derived from it held;
    /// nil when nothing keeps it and the purge goes ahead.
    func keptBeforePurge(_ exhibit: Exhibit, now: Int64) throws -> String? {
        let family = try retentionFacts(family: exhibit).map { f in
            f.exhibit.id != exhibit.id ? f : RetentionFacts(exhibit: f.exhibit, category: f.category, holds: f.holds,
                                                            openCases: f.openCases, deleted: false)
        }
        let decision = RetentionPlan.decide(family, now: now).first { $0.exhibit.id == exhibit.id }
        guard case .keep(let why) = decision?.verdict else { return nil }
        return why
    }
}
