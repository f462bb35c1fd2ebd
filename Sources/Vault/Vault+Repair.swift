import CustodyCore
import Catalog
import Crypto
import Ledger

extension Vault {
    /// Puts back the catalog rows of the exhibit the ledger created with these bytes, when someone
    /// changed them (its SHA-256, size or chunk list no longer what its creation event recorded) and
    /// `sha256` is the SHA-256 that event recorded: the genuine file, ingested again, repairs them. The
    /// repair is recorded in the ledger (`repaired_catalog`). Returns nil when there is nothing to
    /// repair: no exhibit was created with these bytes, its rows are gone (deleted rows are not
    /// remade) or agree with the ledger, or the creation event itself is not proved to be in the log.
    /// Bytes cut into other chunks than the event recorded, or a changed parent or spec, cannot repair
    /// the rows: refused when `refuseOtherChunks` (the officer can ingest again with the right
    /// `--chunk-size`), else nil (a dock cannot choose, and its upload must still complete as before).
    /// The caller holds the transaction; every chunk is durable.
    func repairCatalog(sha256: SHA256Digest, total: Int64, chunkSize: Int, chunks: [(SHA256Digest, Int)],
                       source: IngestSource, actor: Actor, refuseOtherChunks: Bool) throws -> IngestResult? {
        guard let creation = try events.creationEvent(sha256: sha256.hex), let id = creation.exhibit,
              try events.creationEvent(exhibit: id)?.seq == creation.seq,
              let current = try? catalog.find(id) else { return nil }
        let context = try anchorContext()
        guard case .success(let checkpoint) = context.checkpoint,
              try events.inclusionProblem(creation, checkpoint: checkpoint) == nil else { return nil }
        let listed = try? catalog.chunks(of: current)
        let problems = try ledgerDisagreements(current, creation: creation, chunks: listed, context: context)
        guard !problems.isEmpty else { return nil }
        let list = Self.chunkListDigest(chunks.map { ($0.0, $0.1) })
        // A parent or spec changed is not something the bytes can put back.
        guard current.parentSHA256?.hex == creation.details["parent_sha256"],
              current.specSHA256?.hex == creation.details["spec_sha256"] else {
            guard refuseOtherChunks else { return nil }
            throw CustodyError.integrity("cannot repair the catalog rows of \(id) from this file: "
                                         + problems.map { "\(id) \($0)" }.joined(separator: "; "))
        }
        if let recorded = creation.details["chunks_sha256"], recorded != list.hex {
            guard refuseOtherChunks else { return nil }
            throw CustodyError.invalidInput(field: "chunk_size",
                "\(id)'s catalog rows disagree with its \(creation.action.rawValue) event \(creation.seq), and "
                + "this file is its genuine bytes, but cut into chunks of \(chunkSize) bytes the event did not "
                + "record: ingest it again with the chunk size it was first stored with (\(current.chunkSize) "
                + "in the catalog)")
        }
        try catalog.replaceContent(of: id, sha256: sha256, size: total, chunkSize: chunkSize, chunks: chunks)
        let repaired = try catalog.find(id)
        let left = try ledgerDisagreements(repaired, creation: creation, chunks: catalog.chunks(of: repaired),
                                           context: context)
        guard left.isEmpty else {  // rolls the repair back with the transaction
            throw CustodyError.integrity("cannot repair the catalog rows of \(id) from this file: "
                                         + left.map { "\(id) \($0)" }.joined(separator: "; "))
        }
        try record(CustodyEvent(
            actor: actor, action: source.parentSHA256 == nil ? .ingest : .redact, exhibit: id,
            objectSHA256: sha256.hex,
            reason: "the catalog rows disagreed with \(creation.action.rawValue) event \(creation.seq) ("
                + problems.map { "\(id) \($0)" }.joined(separator: "; ") + "); put back from these genuine bytes",
            details: ["repaired_catalog": "true", "event": String(creation.seq), "size": String(total),
                      "chunks_sha256": list.hex, "filename": source.filename ?? "", "device": source.device]))
        var result = IngestResult(exhibit: repaired, duplicate: false, notes: source.notes)
        result.repairedCatalog = creation.seq
        return result
    }
}
