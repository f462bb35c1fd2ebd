import CustodyCore
import Foundation
import Ledger
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension UploadStore {
    /// Ingests a fully received upload into the vault (the dock is the actor; the officer and camera
    /// come from its metadata) and removes its data file. A recording whose SHA-256 differs from the
    /// announced `sha256` is moved to `uploads/quarantine/` instead, recorded, and refused.
    /// With a `session` that received every byte, nothing is read again but for the media probe.
    public func complete(_ upload: Upload, session: IngestSession? = nil) throws -> Upload {
        guard upload.state == .active, upload.isFinished else { throw UploadError.gone(upload.state) }
        let m = upload.metadata
        let source = IngestSource(filename: m.filename, device: m.device ?? upload.owner, capturedAt: m.capturedAt,
                                  officer: m.officer)
        let result: IngestResult
        do {
            if let session, session.received == upload.length {
                result = try vault.ingest(received: session, path: dataPath(upload.id), source: source,
                                          actor: .device(upload.owner), expectedSHA256: m.sha256)
            } else {
                result = try vault.ingest(path: dataPath(upload.id), source: source, actor: .device(upload.owner),
                                          expectedSHA256: m.sha256)
            }
        } catch let e as CustodyError where e.kind == .integrity && m.sha256 != nil {
            return try quarantine(upload, reason: e.message)
        }
        var done = upload
        done.state = .completed
        done.exhibit = result.exhibit.id
        try vault.db.transaction {
            try setState(done)
            try record(done, outcome: .ok, exhibit: result.exhibit.id,
                       details: ["change": "completed", "sha256": result.exhibit.sha256.hex,
                                 "duplicate": String(result.duplicate)])
        }
        unlink(dataPath(upload.id))
        return done
    }

    private func quarantine(_ upload: Upload, reason: String) throws -> Upload {
        let target = quarantine + "/\(upload.id).part"
        try FS.rename(dataPath(upload.id), target)
        try FS.fsyncDirectory(quarantine)
        var q = upload
        q.state = .quarantined
        try vault.db.transaction {
            try setState(q)
            try record(q, outcome: .failed, reason: reason, details: ["change": "quarantined", "kept_at": target])
        }
        throw UploadError.quarantined(reason: reason)
    }

    /// tus termination: the dock abandons the upload; its bytes are removed.
    public func terminate(_ upload: Upload) throws {
        guard upload.state == .active else { throw UploadError.gone(upload.state) }
        var t = upload
        t.state = .terminated
        try vault.db.transaction {
            try setState(t)
            try record(t, outcome: .ok, details: ["change": "terminated", "offset": String(upload.offset)])
        }
        unlink(dataPath(upload.id))
    }

    /// Removes every active upload past its expiry and returns them.
    @discardableResult
    public func expire(now: Int64 = UploadStore.now()) throws -> [Upload] {
        let rows = try vault.db.query("""
            SELECT id, owner, length, offset, metadata, created_at, expires_at, state, exhibit FROM uploads
            WHERE state = 'active' AND expires_at < ?
            """, [.integer(now)])
        return try rows.map(Self.decode).map { upload in
            var e = upload
            e.state = .expired
            try vault.db.transaction {
                try setState(e)
                try vault.record(CustodyEvent(actor: .system, action: .upload, outcome: .failed,
                                              reason: "abandoned upload expired; its \(upload.offset) bytes "
                                                  + "were removed",
                                              details: ["upload": upload.id, "owner": upload.owner]))
            }
            unlink(dataPath(upload.id))
            return e
        }
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
