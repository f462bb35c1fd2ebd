import CustodyCore
import Foundation
import Ledger
import POSIX
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension UploadStore {
    /// Completes a fully received upload: the application layer's `ingest` makes it an exhibit (the
    /// dock is the actor; the officer and camera come from its metadata), and the upload is marked
    /// completed in the transaction that catalogues it. A recording whose SHA-256 differs from the
    /// announced `sha256` is moved to `uploads/quarantine/<id>/` instead, recorded, and refused. With a
    /// `hasher` that saw every byte, nothing is read again but what the probe reads. Without one, the
    /// pieces are read again, and `stopping` is asked before each: once it says yes, the completion
    /// throws `CancellationError` with nothing changed (a service shutting down does not wait for a
    /// recording of many GiB).
    public func complete(_ upload: Upload, hasher: UploadHasher? = nil,
                         stopping: () -> Bool = { false }) throws -> Upload {
        guard upload.state == .active, upload.isFinished else { throw UploadError.gone(upload.state) }
        let h = hasher?.received == upload.length ? hasher! : try rebuildHasher(upload, stopping: stopping)
        let (sha256, pieces) = h.finish()
        if let expected = upload.metadata.sha256, expected != sha256 {
            return try quarantine(upload, reason: "the upload has SHA-256 \(sha256), not the announced \(expected)")
        }
        // Listed first, so a completion cut short after moving some pieces can finish after a restart.
        try db.transaction { try recordPieces(upload.id, pieces, from: 0) }
        // What is still queued to be stored early is left to `adopt`, which sends it in parallel.
        try recordRepairs(upload, EarlyPieces.shared.settle(upload.id))
        // Pieces an interrupted completion already moved are passed too: the store makes sure their
        // renames are durable before the exhibit refers to them.
        var paths: [String] = []
        for (index, piece) in pieces.enumerated() {
            let path = piecePath(upload.id, index)
            guard try FS.exists(path) || chunks.exists(piece.digest) else {
                throw CustodyError.integrity("upload \(upload.id) lost piece \(index) (chunk \(piece.digest))")
            }
            paths.append(path)
        }
        // Catalogued and marked completed in one transaction (one commit): after a crash either
        // both happened or neither, and the dock's retry completes the upload again.
        var done = upload
        try ingest(ReceivedUpload(upload: upload, sha256: sha256, pieces: pieces, paths: paths)) { exhibit in
            done.state = .completed
            done.exhibit = exhibit.id
            try setState(done)
            try record(done, outcome: .ok, exhibit: exhibit.id,
                       details: ["change": "completed", "sha256": exhibit.sha256.hex,
                                 "duplicate": String(exhibit.duplicate)])
        }
        removeData(upload.id, completed: true)
        return done
    }

    /// Recorded first, then moved: after a crash in between, `finishQuarantines` moves the pieces at
    /// the next start (moved first, the restart would have found the pieces gone and the upload stuck).
    private func quarantine(_ upload: Upload, reason: String) throws -> Upload {
        let repaired = EarlyPieces.shared.settle(upload.id, abandoned: true)
        var q = upload
        q.state = .quarantined
        try db.transaction {
            try recordRepairs(upload, repaired)
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
        let stranded = try db.query("SELECT id FROM uploads WHERE state = 'quarantined'")
            .compactMap { $0.text(0) }.filter { FS.exists(dataPath($0)) }
        for id in stranded { try moveToQuarantine(id) }
        return stranded
    }

    /// Where a failed early PUT of any upload of the process is told (the service's log); stderr until set.
    public static func logEarlyFailures(to warn: @escaping @Sendable (String, [String: String]) -> Void) {
        EarlyPieces.shared.setWarn(warn)
    }

    /// Chunks the early PUTs of `upload` found damaged and wrote again (`EarlyPieces.settle`): recorded as a
    /// completion's `adopt` records its repairs, whether the upload completes or not.
    func recordRepairs(_ upload: Upload, _ repaired: [SHA256Digest]) throws {
        for digest in repaired {
            try recordEvent(.chunkRepaired(digest, from: "upload \(upload.id)", actor: .device(upload.owner)))
        }
    }

    /// Removes an upload's pieces (what is left of them): completed, or abandoned (`completed` false). Its early
    /// pieces are settled by the caller first (their repairs recorded).
    func removeData(_ id: String, completed: Bool = false) {
        EarlyPieces.shared.settle(id, abandoned: !completed)
        try? FileManager.default.removeItem(atPath: dataPath(id))
    }

    /// tus termination: the dock abandons the upload; its bytes are removed. Not once every byte is
    /// stored: then the upload is evidence waiting to be ingested (its ingest failed, or has not run
    /// yet), and a dock must not be able to destroy it.
    public func terminate(_ upload: Upload) throws {
        guard upload.state == .active else { throw UploadError.gone(upload.state) }
        guard !upload.isFinished else { throw UploadError.fullyReceived }
        let repaired = EarlyPieces.shared.settle(upload.id, abandoned: true)
        var t = upload
        t.state = .terminated
        try db.transaction {
            try recordRepairs(upload, repaired)
            try setState(t)
            try record(t, outcome: .ok, details: ["change": "terminated", "offset": String(upload.offset)])
        }
        removeData(upload.id)
    }

    /// Active uploads past their expiry that are still missing bytes (a fully received upload never
    /// expires: it is ingested instead), by the store's clock.
    public func expiredUploads() throws -> [Upload] {
        try db.query("""
            SELECT id, owner, length, offset, metadata, created_at, expires_at, state, exhibit FROM uploads
            WHERE state = 'active' AND offset < length AND expires_at < ?
            """, [.integer(clock.now())]).map(Self.decode)
    }

    /// Expires one upload if it is still active, unfinished and past its expiry (read again here, so a
    /// request that moved it on meanwhile wins): its bytes are removed and the ledger says so.
    /// Returns the expired upload, or nil if it no longer qualifies. The caller keeps requests off it.
    public func expire(_ id: String) throws -> Upload? {
        guard let upload = try get(id), upload.state == .active, !upload.isFinished,
              upload.isPastExpiry(at: clock.now()) else { return nil }
        let repaired = EarlyPieces.shared.settle(upload.id, abandoned: true)
        var e = upload
        e.state = .expired
        try db.transaction {
            try recordRepairs(upload, repaired)
            try setState(e)
            try recordEvent(CustodyEvent(actor: .system, action: .upload, outcome: .failed,
                                          reason: "abandoned upload expired; its \(upload.offset) bytes were removed",
                                          details: ["upload": upload.id, "owner": upload.owner]))
        }
        removeData(upload.id)
        return e
    }

    /// Uploads whose last byte arrived but whose ingest did not finish (a crash in between).
    public func unfinishedCompletions() throws -> [Upload] {
        try db.query("""
            SELECT id, owner, length, offset, metadata, created_at, expires_at, state, exhibit FROM uploads
            WHERE state = 'active' AND offset = length
            """).map(Self.decode)
    }

    private func setState(_ upload: Upload) throws {
        try db.query("UPDATE uploads SET state = ?, exhibit = ? WHERE id = ?",
                           [.text(upload.state.rawValue), .optional(upload.exhibit), .text(upload.id)])
    }
}
