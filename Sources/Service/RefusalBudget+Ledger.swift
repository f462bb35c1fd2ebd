import CustodyCore
import Ledger
import Vault

/// How a budget's refusals reach the ledger, for every endpoint that has one (tus, download links).
extension RefusalBudget {
    /// Counts one refused attempt from `peer`. When it gets an event of its own, `record` writes it;
    /// when it ends a window that left attempts unrecorded, `summarize` writes their summary first.
    /// Both with one vault of `pool`; nothing is opened when neither is due.
    func admit(peer: String, now: Double, pool: VaultPool, summarize: (Summary, Vault) throws -> Void,
               record: (Vault) throws -> Void) throws {
        let (one, summary) = admit(peer: peer, now: now)
        guard one || summary != nil else { return }
        try pool.with { vault in
            if let summary { try summarize(summary, vault) }
            if one { try record(vault) }
        }
    }

    /// Records `summary` as one refused `action` of `actor`: "N more `what`, counted, not recorded one
    /// by one", with the peers in its details. If it cannot be written, the counts go back into the
    /// budget for the next summary.
    func record(_ summary: Summary, as actor: Actor, _ action: CustodyEvent.Action, what: String,
                in vault: Vault) throws {
        do {
            try vault.refuseRecorded(actor, action,
                                     reason: "\(summary.attempts) more \(what), counted, not recorded one by one",
                                     details: summary.details(window: window))
        } catch {
            restore(summary)
            throw error
        }
    }
}
