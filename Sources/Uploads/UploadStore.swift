import CustodyCore
import Crypto
import Foundation
import Ledger
import POSIX
import SQLite
import Storage
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Why an upload request cannot proceed; the tus handler turns each into its HTTP status.
public enum UploadError: Error, Equatable, Sendable {
    case notFound
    /// Another dock's upload: answered as `notFound`; the service records the refusal within the
    /// dock's refusal budget.
    case notOwned
    /// Terminated, expired or quarantined: there is nothing to resume.
    case gone(Upload.State)
    /// The client's Upload-Offset is not where the upload stands.
    case offsetMismatch(current: Int64)
    /// More bytes than Upload-Length.
    case tooLong
    case checksumMismatch
    /// The recording's SHA-256 differs from the `sha256` metadata: kept in quarantine, not ingested.
    case quarantined(reason: String)
    case diskFull
    /// Termination of an upload whose every byte is stored: it is evidence waiting to be ingested.
    case fullyReceived
}

/// Which digest an `Upload-Checksum` header names, and the value it expects for this request's body.
public struct UploadChecksum: Sendable {
    public enum Algorithm: String, Sendable { case sha1, sha256 }
    public let algorithm: Algorithm
    public let expected: [UInt8]

    public init(algorithm: Algorithm, expected: [UInt8]) {
        self.algorithm = algorithm
        self.expected = expected
    }
}

/// Uploads in progress: their state in table `uploads`, their bytes in `uploads/<id>/` as files of
/// exactly one chunk each (`p000000`, `p000001`, ...; the last may be short). Each byte is written
/// once: when the upload completes, its pieces are renamed into the chunk store, not copied.
/// The offset in the table only moves after the bytes below it are fsynced, so after a crash the
/// offset is never ahead of the disk; bytes past it are cut off before the next append. Completed
/// pieces are listed with their SHA-256 in `upload_pieces`, so a completion interrupted halfway
/// (some pieces already in the chunk store) can finish after a restart.
public final class UploadStore {
    let db: Database
    /// `uploads/` of the data directory.
    let folder: String
    /// Where completed pieces end up, and are read back from to resume hashing.
    let chunks: any ChunkStore
    /// Appends a custody event (the application layer's `record`).
    let recordEvent: (CustodyEvent) throws -> Void
    /// Makes a fully received upload an exhibit (the application layer's ingest).
    let ingest: UploadIngest
    /// What expiries are set from and compared with.
    public let clock: CustodyClock

    static let migrations = [
        Migration(1, """
            CREATE TABLE uploads (
                id TEXT PRIMARY KEY,
                owner TEXT NOT NULL,
                length INTEGER NOT NULL,
                offset INTEGER NOT NULL,
                metadata TEXT NOT NULL,
                created_at TEXT NOT NULL,
                expires_at INTEGER NOT NULL,
                state TEXT NOT NULL,
                exhibit TEXT
            );
            CREATE INDEX uploads_expiry ON uploads(state, expires_at);
            """),
        Migration(2, """
            CREATE TABLE upload_pieces (
                upload TEXT NOT NULL,
                idx INTEGER NOT NULL,
                chunk TEXT NOT NULL,
                size INTEGER NOT NULL,
                PRIMARY KEY (upload, idx)
            );
            """),
    ]

    /// The store of the uploads in `folder`, their state in `db`; `record` appends custody events,
    /// `ingest` makes a fully received upload an exhibit; expiries are set and compared on `clock`.
    public init(db: Database, folder: String, chunks: any ChunkStore,
                record: @escaping (CustodyEvent) throws -> Void, ingest: @escaping UploadIngest,
                clock: CustodyClock = .system) throws {
        self.db = db
        self.folder = folder
        self.chunks = chunks
        self.recordEvent = record
        self.ingest = ingest
        self.clock = clock
        try db.migrate("uploads", Self.migrations)
        try FS.mkdir(folder, 0o700)
        try FS.mkdir(quarantine, 0o700)
    }

    var quarantine: String { folder + "/quarantine" }
    /// The folder holding an upload's pieces.
    public func dataPath(_ id: String) -> String { folder + "/\(id)" }
    func piecePath(_ id: String, _ index: Int) -> String { dataPath(id) + String(format: "/p%06d", index) }
    /// Every upload's pieces are chunk-sized.
    public static let pieceSize = ChunkSize.standard
    /// Where requests write their full pieces in the background; nil (the default) gives each
    /// request a queue of its own. Tests set a queue they can hold.
    var pieceWriteQueue: DispatchQueue?

    /// Registers a new upload of `length` bytes for dock `owner` with an empty, durable data file.
    public func create(owner: String, length: Int64, metadata: UploadMetadata, ttl: Int64) throws -> Upload {
        let id = Hex.encode(try SecureRandom.bytes(16))
        try FS.mkdir(dataPath(id), 0o700)
        try FS.fsyncDirectory(folder)
        let upload = Upload(id: id, owner: owner, length: length, offset: 0, metadata: metadata,
                            createdAt: Timestamp.rfc3339(), expiresAt: clock.now() + ttl, state: .active, exhibit: nil)
        try db.transaction {
            try db.query("""
                INSERT INTO uploads (id, owner, length, offset, metadata, created_at, expires_at, state)
                VALUES (?, ?, ?, 0, ?, ?, ?, 'active')
                """, [.text(id), .text(owner), .integer(length), .text(metadata.json), .text(upload.createdAt),
                      .integer(upload.expiresAt)])
            try record(upload, outcome: .ok, details: ["change": "created", "length": String(length)])
        }
        return upload
    }

    public func get(_ id: String) throws -> Upload? {
        guard Upload.isValidID(Substring(id)) else { return nil }
        return try db.query("""
            SELECT id, owner, length, offset, metadata, created_at, expires_at, state, exhibit FROM uploads WHERE id = ?
            """, [.text(id)]).first.map(Self.decode)
    }

    /// Appends the bytes `read` yields at the upload's offset. With a checksum, the request is all or
    /// nothing: discarded on mismatch. Without one, the offset moves on about once a second while the
    /// body arrives (the full pieces received so far fsynced first, short of the upload's end), so a
    /// crash mid-request loses only the last second or so; bytes received before an interrupted body
    /// are kept (tus core), so the dock resumes after them. A piece that cannot be written (a full
    /// disk, an I/O error) discards what the request sent since the offset last moved. Returns the
    /// upload with its new, durable offset. `hasher` sees every byte written, in order; after an error
    /// it may have seen discarded bytes.
    public func append(_ upload: Upload, checksum: UploadChecksum?, ttl: Int64, hasher: UploadHasher,
                       read: (UnsafeMutableRawBufferPointer) throws -> Int) throws -> Upload {
        guard upload.state == .active else { throw UploadError.gone(upload.state) }
        let writer = try PieceWriter(store: self, upload: upload)
        let sha1 = checksum?.algorithm == .sha1 ? SHA1() : nil
        let sha256 = checksum?.algorithm == .sha256 ? SHA256() : nil
        var interruption: (any Error)?
        var kept = upload  // as the catalog has it
        do {
            var ended = false
            while !ended {
                // Fill the writer's space (a socket read returns what has arrived): fewer, larger writes.
                let space = writer.space()
                var n = 0
                do {
                    while n < space.count {
                        let k = try read(UnsafeMutableRawBufferPointer(rebasing: space[n...]))
                        if k == 0 { ended = true; break }
                        n += k
                    }
                } catch {
                    // The body broke off: keep what arrived before (tus core), then stop.
                    interruption = error
                    ended = true
                }
                if n == 0 { break }
                guard writer.written + Int64(n) <= upload.length - upload.offset else { throw UploadError.tooLong }
                let bytes = try writer.commit(n)
                sha1?.update(bytes)
                sha256?.update(bytes)
                hasher.feed(bytes)
                // Never up to the last byte mid-request: a body going on past Upload-Length is refused
                // after it, which would leave the upload complete but its ingest not started.
                if checksum == nil, writer.written < upload.length - upload.offset,
                   let durable = try writer.syncIfDue() {
                    kept = try recordOffset(kept, upload.offset + durable, ttl: ttl, hasher: hasher)
                }
            }
        } catch {
            // Refused, or a piece could not be written (body errors are caught above): nothing of
            // this request is kept past the offset last recorded.
            writer.discard()
            throw Self.diskFullAsUploadError(error)
        }
        if let checksum {
            let actual = sha1?.finalize() ?? sha256?.finalize().bytes ?? []
            guard interruption == nil, ConstantTime.equals(actual, checksum.expected) else {
                writer.discard()
                throw interruption ?? UploadError.checksumMismatch
            }
        }
        if upload.offset + writer.written > kept.offset {
            do { try writer.makeDurable() } catch {
                writer.discard()
                throw Self.diskFullAsUploadError(error)
            }
            kept = try recordOffset(kept, upload.offset + writer.written, ttl: ttl, hasher: hasher)
        }
        // A body cut off after its last byte (a chunked body without its end, say) still completed
        // the upload: the dock has nothing more to send, so the ingest must not wait for it.
        if let interruption, !kept.isFinished { throw interruption }
        return kept
    }

    /// Records `offset` (every byte below it fsynced) as the upload's, with the pieces completed
    /// below it and the digests `hasher` found, and moves its expiry on.
    private func recordOffset(_ upload: Upload, _ offset: Int64, ttl: Int64, hasher: UploadHasher) throws -> Upload {
        var updated = upload
        updated.offset = offset
        updated.expiresAt = clock.now() + ttl
        try db.transaction {
            try db.query("""
                UPDATE uploads SET offset = ?, expires_at = ? WHERE id = ? AND offset = ? AND state = 'active'
                """, [.integer(offset), .integer(updated.expiresAt), .text(upload.id), .integer(upload.offset)])
            guard db.changes == 1 else { throw UploadError.offsetMismatch(current: -1) }
            try recordPieces(upload.id, Array(hasher.pieces.prefix(Int(offset / Int64(Self.pieceSize)))),
                             from: Int(upload.offset / Int64(Self.pieceSize)))
        }
        storeEarly(upload.id, pieces: Int(upload.offset / Int64(Self.pieceSize))..<Int(offset / Int64(Self.pieceSize)),
                   hasher: hasher)
        return updated
    }

    /// Hands the pieces `range` (sealed: full, durable, recorded) to `EarlyPieces` when the chunk store gains
    /// from having them before the upload completes.
    private func storeEarly(_ id: String, pieces range: Range<Int>, hasher: UploadHasher) {
        guard let early = chunks as? EarlyChunkStore, !range.isEmpty, range.upperBound <= hasher.pieces.count
        else { return }
        let pieces = range.map { (piecePath(id, $0), hasher.pieces[$0].digest, hasher.pieces[$0].size) }
        EarlyPieces.shared.sealed(id, pieces, store: early)
    }

    /// A full disk (ENOSPC, EDQUOT) becomes `UploadError.diskFull` (507); other errors pass.
    static func diskFullAsUploadError(_ error: any Error) -> any Error {
        (error as? SystemError)?.isDiskFull == true ? UploadError.diskFull : error
    }

    /// Lists completed pieces `from` on in `upload_pieces` (rows already there are kept).
    func recordPieces(_ id: String, _ pieces: [(digest: SHA256Digest, size: Int)], from first: Int) throws {
        for index in first..<pieces.count {
            try db.query("INSERT OR IGNORE INTO upload_pieces (upload, idx, chunk, size) VALUES (?, ?, ?, ?)",
                               [.text(id), .int(index), .text(pieces[index].digest.hex), .int(pieces[index].size)])
        }
    }

    /// A hasher that has seen the upload's first `upload.offset` bytes, read back from its pieces
    /// (or, for pieces already moved, from the chunk store): how hashing resumes after a restart.
    /// Throws `CancellationError` once `stopping` says so (asked before each piece).
    public func rebuildHasher(_ upload: Upload, stopping: () -> Bool = { false }) throws -> UploadHasher {
        let hasher = UploadHasher(pieceSize: Self.pieceSize)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.pieceSize, alignment: 4096)
        defer { buffer.deallocate() }
        let moved = Dictionary(uniqueKeysWithValues: try db.query(
            "SELECT idx, chunk FROM upload_pieces WHERE upload = ?", [.text(upload.id)]).compactMap { row in
                row.int(0).flatMap { i in row.text(1).flatMap(SHA256Digest.init(hex:)).map { (Int(i), $0) } }
            })
        var left = upload.offset, index = 0
        while left > 0 {
            if stopping() { throw CancellationError() }
            let want = Int(min(left, Int64(Self.pieceSize)))
            let path = piecePath(upload.id, index)
            var n: Int
            if FS.exists(path) {
                let fd = try FS.open(path, O_RDONLY)
                defer { close(fd) }
                n = try FS.readFull(fd, UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]), path: path)
            } else if let digest = moved[index] {
                n = min(want, try chunks.read(digest, into: buffer))
            } else {
                throw CustodyError.integrity("upload \(upload.id) lost piece \(index)")
            }
            guard n == want else { throw CustodyError.integrity("upload \(upload.id) piece \(index) is short") }
            hasher.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            left -= Int64(n)
            index += 1
        }
        return hasher
    }

    static func decode(_ row: Row) throws -> Upload {
        guard let id = row.text(0), let owner = row.text(1), let length = row.int(2), let offset = row.int(3),
              let metadata = row.text(4), let created = row.text(5), let expires = row.int(6),
              let state = row.text(7).flatMap(Upload.State.init(rawValue:)) else {
            throw CustodyError.integrity("upload row \(row.text(0) ?? "?") is malformed")
        }
        return Upload(id: id, owner: owner, length: length, offset: offset, metadata: UploadMetadata(json: metadata),
                      createdAt: created, expiresAt: expires, state: state, exhibit: row.text(8))
    }

    /// A ledger event about `upload`, by the dock that owns it.
    func record(_ upload: Upload, outcome: CustodyEvent.Outcome, reason: String? = nil, exhibit: String? = nil,
                details: [String: String]) throws {
        var all = details
        all["upload"] = upload.id
        if let name = upload.metadata.filename { all["filename"] = name }
        try recordEvent(CustodyEvent(actor: .device(upload.owner), action: .upload, exhibit: exhibit,
                                      objectSHA256: upload.metadata.sha256?.hex, outcome: outcome, reason: reason,
                                      details: all))
    }
}
