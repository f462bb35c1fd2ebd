import CustodyCore
import Foundation
import Ledger
import Media
import POSIX
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension UploadStore {
    /// Ingests a fully received upload into the vault (the dock is the actor; the officer and camera
    /// come from its metadata): its pieces are probed, renamed into the chunk store and
    /// catalogued. A recording whose SHA-256 differs from the announced `sha256` is moved to
    /// `uploads/quarantine/<id>/` instead, recorded, and refused. With a `hasher` that saw every byte,
    /// nothing is read again but what the probe reads.
    public func complete(_ upload: Upload, hasher: UploadHasher? = nil) throws -> Upload {
        guard upload.state == .active, upload.isFinished else { throw UploadError.gone(upload.state) }
        let m = upload.metadata
        let h = hasher?.received == upload.length ? hasher! : try rebuildHasher(upload)
        let (sha256, pieces) = h.finish()
        if let expected = m.sha256, expected != sha256 {
            return try quarantine(upload, reason: "the upload has SHA-256 \(sha256), not the announced \(expected)")
        }
        // Listed first, so a completion cut short after moving some pieces can finish after a restart.
        try vault.db.transaction { try recordPieces(upload.id, pieces, from: 0) }
        // Pieces an interrupted completion already moved are passed too: the store makes sure their
        // renames are durable before the exhibit refers to them.
        var moving: [(path: String, digest: SHA256Digest)] = []
        for (index, piece) in pieces.enumerated() {
            let path = piecePath(upload.id, index)
            guard FS.exists(path) || vault.store.contains(piece.digest) else {
                throw CustodyError.integrity("upload \(upload.id) lost piece \(index) (chunk \(piece.digest))")
            }
            moving.append((path, piece.digest))
        }
        // Probed from the piece files while they are all there; after a completion cut short, from
        // the chunk store (whole chunks, each checked against its SHA-256).
        let fromPieces = UploadPieceSource(store: self, upload: upload, pieces: pieces.count).map(MediaProbe.probe)
        do { try vault.store.adopt(moving) } catch { throw Vault.storageError(error, path: "upload \(upload.id)") }
        try vault.recordRepairs(from: "upload \(upload.id)", actor: .device(upload.owner))
        let probe = fromPieces ?? MediaProbe.probe(source: ExhibitSource(
            vault: vault, chunks: pieces, chunkSize: UploadStore.pieceSize, label: upload.id,
            owner: "upload \(upload.id)"))
        let source = IngestSource(filename: m.filename, device: m.device ?? upload.owner, capturedAt: m.capturedAt,
                                  officer: m.officer)
        // Catalogued and marked completed in one transaction (one commit): after a crash either
        // both happened or neither, and the dock's retry completes the upload again.
        let done = try vault.db.transaction {
            let result = try vault.catalogue(sha256: sha256, total: upload.length, chunkSize: UploadStore.pieceSize,
                                             chunks: pieces.map { ($0.digest, $0.size) }, probe: probe, source: source,
                                             actor: .device(upload.owner))
            var done = upload
            done.state = .completed
            done.exhibit = result.exhibit.id
            try setState(done)
            try record(done, outcome: .ok, exhibit: result.exhibit.id,
                       details: ["change": "completed", "sha256": result.exhibit.sha256.hex,
                                 "duplicate": String(result.duplicate)])
            return done
        }
        removeData(upload.id)
        return done
    }

    /// Recorded first, then moved: after a crash in between, `finishQuarantines` moves the pieces at
    /// the next start (moved first, the restart would have found the pieces gone and the upload stuck).
    private func quarantine(_ upload: Upload, reason: String) throws -> Upload {
        var q = upload
        q.state = .quarantined
        try vault.db.transaction {
            try setState(q)
            try record(q, outcome: .failed, reason: reason,
                       details: ["change": "quarantined", "kept_at": quarantine + "/\(upload.id)"])
        }
        try moveToQuarantine(upload.id)
        throw UploadError.quarantined(reason: reason)
    }

    private func moveToQuarantine(_ id: String) throws {
        try FS.rename(dataPath(id), quarantine + "/\(id)")
        try FS.fsyncDirectory(quarantine)
        try FS.fsyncDirectory((dataPath(id) as NSString).deletingLastPathComponent)
    }

    /// Quarantined uploads whose pieces a crash left in place are moved to quarantine now; returns
    /// their IDs.
    @discardableResult
    public func finishQuarantines() throws -> [String] {
        let stranded = try vault.db.query("SELECT id FROM uploads WHERE state = 'quarantined'")
            .compactMap { $0.text(0) }.filter { FS.exists(dataPath($0)) }
        for id in stranded { try moveToQuarantine(id) }
        return stranded
    }

    /// Removes an upload's pieces (what is left of them).
    func removeData(_ id: String) {
        try? FileManager.default.removeItem(atPath: dataPath(id))
    }

    /// tus termination: the dock abandons the upload; its bytes are removed. Not once every byte is
    /// stored: then the upload is evidence waiting to be ingested (its ingest failed, or has not run
    /// yet), and a dock must not be able to destroy it.
    public func terminate(_ upload: Upload) throws {
        guard upload.state == .active else { throw UploadError.gone(upload.state) }
        guard !upload.isFinished else { throw UploadError.fullyReceived }
        var t = upload
        t.state = .terminated
        try vault.db.transaction {
            try setState(t)
            try record(t, outcome: .ok, details: ["change": "terminated", "offset": String(upload.offset)])
        }
        removeData(upload.id)
    }

    /// Active uploads past their expiry that are still missing bytes (a fully received upload never
    /// expires: it is ingested instead).
    public func expiredUploads(now: Int64 = UploadStore.now()) throws -> [Upload] {
        try vault.db.query("""
            SELECT id, owner, length, offset, metadata, created_at, expires_at, state, exhibit FROM uploads
            WHERE state = 'active' AND offset < length AND expires_at < ?
            """, [.integer(now)]).map(Self.decode)
    }

    /// Expires one upload if it is still active, unfinished and past its expiry (read again here, so a
    /// request that moved it on meanwhile wins): its bytes are removed and the ledger says so.
    /// Returns the expired upload, or nil if it no longer qualifies. The caller keeps requests off it.
    public func expire(_ id: String, now: Int64 = UploadStore.now()) throws -> Upload? {
        guard let upload = try get(id), upload.state == .active, !upload.isFinished, upload.expiresAt < now else {
            return nil
        }
        var e = upload
        e.state = .expired
        try vault.db.transaction {
            try setState(e)
            try vault.record(CustodyEvent(actor: .system, action: .upload, outcome: .failed,
                                          reason: "abandoned upload expired; its \(upload.offset) bytes were removed",
                                          details: ["upload": upload.id, "owner": upload.owner]))
        }
        removeData(upload.id)
        return e
    }

    /// Uploads whose last byte arrived but whose ingest did not finish (a crash in between).
    public func unfinishedCompletions() throws -> [Upload] {
        try vault.db.query("""
            SELECT id, owner, length, offset, metadata, created_at, expires_at, state, exhibit FROM uploads
            WHERE state = 'active' AND offset = length
            """).map(Self.decode)
    }

    private func setState(_ upload: Upload) throws {
        try vault.db.query("UPDATE uploads SET state = ?, exhibit = ? WHERE id = ?",
                           [.text(upload.state.rawValue), .optional(upload.exhibit), .text(upload.id)])
    }
}
