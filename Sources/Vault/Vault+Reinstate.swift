import Catalog
import CustodyCore
import Ledger

extension Vault {
    /// Brings back `exhibit`, which retention deleted (restorable or purged), because its bytes were
    /// ingested again (a card read again, a dock sending again, a redaction made again): a deleted
    /// exhibit does not make new bytes a duplicate that nobody can read. Recorded as a `restore` event
    /// of the ingesting actor (`via: ingest`), then the ingest as a duplicate of it (the caller does).
    /// The SHA-256 names one exhibit, so the exhibit comes back with its ID, its creation event and its
    /// chunk list: every chunk of that list must be in the store now (the caller stored these bytes
    /// just before; purged chunks are back when they were cut as before). Bytes cut into other chunks
    /// than the purged exhibit's are refused, naming the chunk size to ingest them with. The caller holds
    /// the write transaction, so no retention run frees a chunk between this check and the commit.
    func reinstate(_ exhibit: Exhibit, deleted deletion: DeletionRegistry.Deletion, source: IngestSource,
                   actor: Actor) throws {
        let missing = try catalog.chunks(of: exhibit).filter { try !store.exists($0.digest) }
        guard missing.isEmpty else {
            throw CustodyError.invalidInput(field: "chunk_size",
                "\(exhibit.id) has these bytes but was purged by retention, and this file was cut into other "
                + "chunks than it was (\(missing.count) of its chunks are not in the store): ingest it again with "
                + "--chunk-size \(exhibit.chunkSize) to bring it back")
        }
        try deletionRegistry.reinstate(exhibit.id)
        var details = ["via": source.parentSHA256 == nil ? "ingest" : "redact", "deleted_event": String(deletion.event),
                       "deleted_at": Self.time(deletion.deletedAt), "device": source.device]
        details["purge_event"] = deletion.purgeEvent.map(String.init)
        try record(CustodyEvent(actor: actor, action: .restore, exhibit: exhibit.id, objectSHA256: exhibit.sha256.hex,
                                reason: "its bytes were ingested again after retention deleted it",
                                details: details))
    }
}
