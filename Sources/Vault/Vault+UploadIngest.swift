import Catalog
import CustodyCore
import Ledger
import Media
import Uploads

extension UploadStore {
    /// The upload store of `vault`'s data directory: events go to its ledger, completed uploads
    /// become its exhibits; expiries are set and compared on `clock`.
    public convenience init(vault: Vault, clock: CustodyClock = .system) throws {
        try self.init(db: vault.db, folder: vault.directory.uploads, chunks: vault.store,
                      record: { try vault.record($0) },
                      ingest: { received, completing in try vault.ingest(received, completing: completing) },
                      clock: clock)
    }
}

extension Vault {
    /// Ingests a fully received upload: its pieces are probed, renamed into the chunk store and
    /// catalogued; `completing` runs in the transaction that catalogues it.
    func ingest(_ received: ReceivedUpload, completing: (IngestedUpload) throws -> Void) throws {
        let upload = received.upload
        let m = upload.metadata
        // Probed from the piece files while they are all there; after a completion cut short, from
        // the chunk store (whole chunks, each checked against its SHA-256).
        let fromPieces = UploadPieceSource(received).map(MediaProbe.probe)
        let moving = zip(received.paths, received.pieces).map { (path: $0, digest: $1.digest) }
        do { try store.adopt(moving) } catch { throw Vault.storageError(error, path: "upload \(upload.id)") }
        try recordRepairs(from: "upload \(upload.id)", actor: .device(upload.owner))
        let probe = fromPieces ?? MediaProbe.probe(source: ExhibitSource(
            vault: self, chunks: received.pieces, chunkSize: UploadStore.pieceSize, label: upload.id,
            owner: "upload \(upload.id)"))
        let source = IngestSource(filename: m.filename, device: m.device ?? upload.owner, capturedAt: m.capturedAt,
                                  officer: m.officer)
        let chunks = received.pieces.map { ($0.digest, $0.size) }
        let carried = try carryChunksAhead(chunks.map(\.0))
        try db.transaction {
            let result = try catalogue(sha256: received.sha256, total: upload.length, chunkSize: UploadStore.pieceSize,
                                       chunks: chunks, probe: probe, source: source, actor: .device(upload.owner),
                                       fromUpload: true, carried: carried)
            try completing(IngestedUpload(id: result.exhibit.id, sha256: result.exhibit.sha256,
                                          duplicate: result.duplicate))
        }
    }
}
