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
        let details = ["change": "link secret rotated"]
        try authorize(actor, to: .manageKeys, details: details)
        try record(CustodyEvent(actor: actor, action: .link, outcome: .ok, reason: reason, details: details))
        try directory.replaceLinkSecret(at: now)
        return Timestamp.rfc3339()
    }
}
