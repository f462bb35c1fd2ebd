import Catalog
import CustodyCore
import Ledger

/// An export whose bytes go to a stream (the API's download, `GET /api/v1/exhibits/<id>/file`) instead
/// of a file the vault writes: the same checks and events as `export(_:to:actor:reason:progress:)`.
extension Vault {
    /// Authorizes `actor` to export `exhibit`, checks the exhibit against its creation event, and
    /// records the `export` event (with `details`: where it goes, who asked) before any byte is read.
    /// A refusal, and a catalog row that disagrees with the ledger, is recorded as refused.
    public func startExport(_ exhibit: Exhibit, by actor: Actor, reason: String,
                            details: [String: String]) throws -> AnchoredExhibit {
        try authorize(actor, to: .exportExhibit, exhibit: exhibit, details: details)
        let anchored: AnchoredExhibit
        do { anchored = try self.anchored(exhibit) } catch let e as CustodyError {
            _ = try? record(exportEvent(exhibit, actor, .refused, e.message, details))
            throw e
        }
        try record(exportEvent(exhibit, actor, .ok, reason, details))
        return anchored
    }

    /// Hands the exhibit's bytes to `body`, each chunk checked before it goes and the whole file at the
    /// end (`readVerified`). Damage, or a `body` that fails (the client went away), records a failed
    /// `export` naming why, and is thrown.
    public func streamExport(_ anchored: AnchoredExhibit, by actor: Actor, details: [String: String],
                             to body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var sent: Int64 = 0
        do {
            try readVerified(anchored) { bytes in
                try body(bytes)
                sent += Int64(bytes.count)
            }
        } catch {
            let why = (error as? CustodyError)?.message
                ?? "the download stopped after \(sent) of \(anchored.size) bytes: \(error)"
            _ = try? record(exportEvent(anchored.exhibit, actor, .failed, why, details))
            throw error
        }
    }

    private func exportEvent(_ exhibit: Exhibit, _ actor: Actor, _ outcome: CustodyEvent.Outcome, _ why: String,
                             _ details: [String: String]) -> CustodyEvent {
        CustodyEvent(actor: actor, action: .export, exhibit: exhibit.id, objectSHA256: exhibit.sha256.hex,
                     outcome: outcome, reason: why, details: details)
    }
}
