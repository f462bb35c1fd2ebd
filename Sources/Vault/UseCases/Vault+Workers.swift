import Catalog
import CustodyCore
import Ledger

/// Remote redaction workers (`custody worker --server`): registered by a supervisor as docks are
/// (`custody worker add NAME` prints the token once; `device` events naming the `worker`), and
/// authenticated by that token, which is their identity in the ledger (`Actor.Kind.worker`).
extension Vault {
    /// Registers worker `name` and returns its token (shown once; only its hash is stored).
    public func addWorker(_ name: String, by actor: Actor) throws -> String {
        try addMachine(.worker, name, by: actor)
    }

    /// Revokes worker `name`'s token at once; the redactions it holds are leased again at once, and
    /// its reports are refused. Returns when (RFC 3339).
    @discardableResult
    public func revokeWorker(_ name: String, by actor: Actor) throws -> String {
        try revokeMachine(.worker, name, by: actor) {
            try bundleRegistry.endRedactionLeases(owner: name)
        }
    }

    /// The registered workers, active and revoked. Not recorded when allowed.
    public func workers(for actor: Actor) throws -> [DeviceRegistry.Device] {
        try authorize(actor, to: .readDevices)
        return try deviceRegistry.list(.worker)
    }

    /// The active worker a bearer token (`cwt_...`) belongs to, or nil (unknown, malformed or revoked).
    /// The caller records a refusal for nil, within its budget.
    public func authenticateWorker(token: String) throws -> String? {
        try authenticate(token, as: .worker)
    }
}
