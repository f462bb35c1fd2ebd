import CustodyCore
import Ledger

/// Replacing keys. Each rotation is recorded before it is made (if the event cannot be written, the
/// keys stay as they are).
extension Vault {
    /// Replaces the download links' secret: every link sent so far stops opening (a recipient's attempt
    /// is refused and recorded as `signed with a retired link secret`); links printed from now on use
    /// the new one. Returns when (RFC 3339).
    @discardableResult
    public func rotateLinkSecret(reason: String, by actor: Actor, now: Int64) throws -> String {
        let details = ["key": "link secret"]
        try authorize(actor, to: .manageKeys, details: details)
        try record(CustodyEvent(actor: actor, action: .key, outcome: .ok, reason: reason, details: details))
        try directory.replaceLinkSecret(at: now)
        return Timestamp.rfc3339()
    }

    /// Replaces the ledger's signing key: a last checkpoint is signed with the old key (covering this
    /// rotation's event), its public key moves to `keys/retired/` (still checking every checkpoint it
    /// signed: `noteVerifier`, `/ledger/keys`, `ledger key --all`), its private key is deleted, and a new
    /// pair signs from now on. Returns the new verifier key.
    @discardableResult
    public func rotateLedgerKey(reason: String, by actor: Actor, now: Int64) throws -> String {
        let old = try noteVerifier()
        let details = ["key": "ledger", "retired_key_id": Hex.encode(old.keyID)]
        try authorize(actor, to: .manageKeys, details: details)
        try record(CustodyEvent(actor: actor, action: .key, outcome: .ok, reason: reason, details: details))
        try checkpoint()
        try directory.replaceLedgerKey(at: now)
        return try noteVerifier().vkey
    }
}
