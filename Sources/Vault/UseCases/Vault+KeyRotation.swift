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
    /// rotation's event), its public key moves to `keys/retired/` with that checkpoint's size (still
    /// checking every checkpoint it signed, and none larger: `noteVerifier`, `/ledger/keys`, `ledger key
    /// --all`), its private key is deleted, and a new pair signs from now on. All under the ledger's write
    /// lock: any other process signs before (that checkpoint is the last) or with the new key after.
    /// Returns the new verifier key.
    @discardableResult
    public func rotateLedgerKey(reason: String, by actor: Actor, now: Int64) throws -> String {
        let old = try noteVerifier()
        let details = ["key": "ledger", "retired_key_id": Hex.encode(old.keyID)]
        try authorize(actor, to: .manageKeys, details: details)
        try db.transaction {
            try record(CustodyEvent(actor: actor, action: .key, outcome: .ok, reason: reason, details: details))
            guard let last = try checkpoint() else {
                throw CustodyError.failure("the ledger has no checkpoint to sign with the old key")
            }
            try directory.replaceLedgerKey(at: now, lastCheckpointSize: last.size)
        }
        return try noteVerifier().vkey
    }
}
