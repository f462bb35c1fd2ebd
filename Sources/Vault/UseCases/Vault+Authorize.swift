import Catalog
import CustodyCore
import Ledger

/// The application layer's one gate. Every use case of `Vault` (the `UseCases/` files) names its
/// acting party and goes through here first: an officer through `authorize(_:to:exhibit:details:)`
/// (their registration and role, `Vault+Roles.swift`); a dock, and custody itself, through
/// `authorize(_:_:)` here by the action they take (a recipient is authorized by a genuine link alone,
/// in `openLink`, and refused all else here). `refuse` records every refused attempt, and only then
/// does the use case record its own event and act. Nothing outside this layer (and the upload store it
/// drives) appends a custody event.
extension Vault {
    /// What a dock or custody itself may do (an officer is checked by role: `authorize(_:to:exhibit:)`).
    /// Refused attempts are recorded, against `actor`, and thrown as `.refused`.
    public func authorize(_ actor: Actor, _ action: CustodyEvent.Action, exhibit: String? = nil,
                          details: [String: String] = [:]) throws {
        if let why = try refusalReason(actor, action) {
            throw refuse(actor, action, reason: why, exhibit: exhibit, details: details)
        }
    }

    /// Why `actor` may not do `action`, or nil when it may.
    func refusalReason(_ actor: Actor, _ action: CustodyEvent.Action) throws -> String? {
        guard Actor.isValidID(actor.id) else {
            return "the acting \(actor.kind.rawValue)'s ID must be 1-64 letters, digits or ._@- characters"
        }
        switch (actor.kind, action) {
        case (.device, .upload):
            return try deviceRegistry.isActive(actor.id) ? nil : "device \(actor.id) is not an active dock"
        case (.worker, .redact):
            return try deviceRegistry.isActive(actor.id, as: .worker) ? nil
                : "worker \(actor.id) is not an active worker"
        case (.system, .upload) where actor == Actor.system:
            return nil  // custody itself expires abandoned uploads
        case (.system, .share) where actor == Actor.system:
            return nil  // and removes the ZIPs of expired and revoked bundles (`removeLapsedBundles`)
        case (.system, .retention) where actor == Actor.system, (.system, .delete) where actor == Actor.system:
            return nil  // and runs retention daily in `custody serve`
        case (.system, .officer) where actor == Actor.system:
            return nil  // and registers the first supervisor at `custody init`
        case (.system, .backup):
            return nil  // the service account backs the vault up (`custody backup`, run without an officer)
        case (.system, _):
            return withoutOfficer
        default:
            return "a \(actor.kind.rawValue) may not \(action.rawValue)"
        }
    }

    /// Why an evidence action is refused to a party that is no officer (the CLI run without one).
    public static let noOfficer = "no acting officer"
    /// Why it is refused when an officer ID was given that cannot be one (see `withoutOfficer`).
    public static let malformedOfficer = "the acting officer ID must be 1-64 letters, digits or ._@- characters"

    /// Records a refused attempt (a command line or request refused before or by the use case) and
    /// returns the error to throw. The refusal stands whether or not the event can be written; the
    /// error says which (`recorded`), so a front end can record or log one that was not.
    @discardableResult
    public func refuse(_ actor: Actor, _ action: CustodyEvent.Action, reason: String, exhibit: String? = nil,
                       details: [String: String] = [:]) -> CustodyError {
        let event = try? record(CustodyEvent(actor: actor, action: action, exhibit: exhibit, outcome: .refused,
                                             reason: String(reason.prefix(1000)), details: details))
        return .refused(reason, recorded: event != nil)
    }

    /// Like `refuse`, but the write must succeed: a refusal the ledger must hold before anything is
    /// answered (an upload of another dock's, a summary of refusals counted in a window).
    public func refuseRecorded(_ actor: Actor, _ action: CustodyEvent.Action, reason: String,
                               outcome: CustodyEvent.Outcome = .refused, details: [String: String] = [:]) throws {
        try record(CustodyEvent(actor: actor, action: action, outcome: outcome, reason: reason, details: details))
    }
}
