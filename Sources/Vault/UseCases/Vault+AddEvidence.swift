import CustodyCore
import Crypto
import Catalog
import Ledger

/// Adding evidence: an officer ingests a recording from a card, or makes a redacted derivative.
extension Vault {
    /// Ingests the file at `path` for `actor` (see `storeFile`): authorized first, the `ingest`
    /// event written with the exhibit, and a file that cannot be stored recorded as a failed ingest.
    public func ingest(path: String, source: IngestSource, actor: Actor, chunkSize: Int = Vault.defaultChunkSize,
                       expectedSHA256: SHA256Digest? = nil,
                       progress: ((Int64, Int64) -> Void)? = nil) throws -> IngestResult {
        try authorize(actor, to: .ingest)
        do {
            return try storeFile(path: path, source: source, actor: actor, chunkSize: chunkSize,
                                 expectedSHA256: expectedSHA256, progress: progress)
        } catch let e as CustodyError {
            var details = ["device": source.device]
            details["filename"] = source.filename
            _ = try? record(CustodyEvent(actor: actor, action: .ingest, outcome: .failed, reason: e.message,
                                         details: details))
            throw e
        }
    }

    /// Redacts the exhibit `reference` names (see `redact(_:spec:reason:actor:progress:isCancelled:)`);
    /// one that does not exist is a refused `redact`, as for `show` and `export`.
    public func redact(_ reference: String, spec: [UInt8], reason: String, by actor: Actor,
                       progress: ((Double) -> Void)? = nil, isCancelled: (() -> Bool)? = nil) throws
        -> (source: Exhibit, result: IngestResult) {
        let exhibit = try exhibit(reference, for: .redact, by: actor)
        return (exhibit, try redact(exhibit, spec: spec, reason: reason, actor: actor, progress: progress,
                                    isCancelled: isCancelled))
    }
}
