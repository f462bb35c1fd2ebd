import CustodyCore
import Crypto
import Foundation
import Ledger
import SQLite
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Why an upload request cannot proceed; the tus handler turns each into its HTTP status.
public enum UploadError: Error, Equatable, Sendable {
    case notFound
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

/// Uploads in progress: their state in table `uploads`, their bytes in `uploads/<id>.part`.
/// The offset in the table only moves after the bytes below it are fsynced, so after a crash the
/// offset is never ahead of the disk; bytes past it are cut off before the next append.
public final class UploadStore {
    public let vault: Vault

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
    ]

    public init(vault: Vault) throws {
        self.vault = vault
        try vault.db.migrate("uploads", Self.migrations)
        try FS.mkdir(vault.directory.uploads, 0o700)
        try FS.mkdir(quarantine, 0o700)
    }

    var quarantine: String { vault.directory.uploads + "/quarantine" }
    public func dataPath(_ id: String) -> String { vault.directory.uploads + "/\(id).part" }

    /// Registers a new upload of `length` bytes for dock `owner` with an empty, durable data file.
    public func create(owner: String, length: Int64, metadata: UploadMetadata, ttl: Int64) throws -> Upload {
        let id = Hex.encode(try SecureRandom.bytes(16))
        let fd = try FS.open(dataPath(id), O_WRONLY | O_CREAT | O_EXCL, 0o600)
        defer { close(fd) }
        try FS.fsync(fd, path: dataPath(id))
        try FS.fsyncDirectory(vault.directory.uploads)
        let upload = Upload(id: id, owner: owner, length: length, offset: 0, metadata: metadata,
                            createdAt: Timestamp.rfc3339(), expiresAt: Self.now() + ttl, state: .active, exhibit: nil)
        try vault.db.transaction {
            try vault.db.query("""
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
        return try vault.db.query("""
            SELECT id, owner, length, offset, metadata, created_at, expires_at, state, exhibit FROM uploads WHERE id = ?
            """, [.text(id)]).first.map(Self.decode)
    }

    /// Appends the bytes `read` yields at the upload's offset. With a checksum, the whole request is
    /// discarded on mismatch; without one, bytes received before an interrupted body are kept (tus
    /// core), so the dock resumes after them. Returns the upload with its new, durable offset.
    /// `written` sees every block once it is written, in order (the upload's ingest session hashes
    /// and chunks it); after an error it may have seen bytes that were then discarded.
    public func append(_ upload: Upload, checksum: UploadChecksum?, ttl: Int64,
                       read: (UnsafeMutableRawBufferPointer) throws -> Int,
                       written: (UnsafeRawBufferPointer) throws -> Void = { _ in }) throws -> Upload {
        guard upload.state == .active else { throw UploadError.gone(upload.state) }
        let path = dataPath(upload.id)
        let fd = try FS.open(path, O_WRONLY)
        defer { close(fd) }
        // Anything past the durable offset is left from a crash or a refused request.
        try FS.call("ftruncate", path) { ftruncate(fd, off_t(upload.offset)) }
        guard lseek(fd, off_t(upload.offset), SEEK_SET) == off_t(upload.offset) else {
            throw SystemError(call: "lseek", path: path, errno: errno)
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        defer { buffer.deallocate() }
        let sha1 = checksum?.algorithm == .sha1 ? SHA1() : nil
        let sha256 = checksum?.algorithm == .sha256 ? SHA256() : nil
        var received: Int64 = 0
        var interruption: (any Error)?
        do {
            var ended = false
            while !ended {
                // Fill the buffer (a socket read returns what has arrived): fewer, larger writes.
                var n = 0
                while n < buffer.count {
                    let k = try read(UnsafeMutableRawBufferPointer(rebasing: buffer[n...]))
                    if k == 0 { ended = true; break }
                    n += k
                }
                if n == 0 { break }
                guard received + Int64(n) <= upload.length - upload.offset else { throw UploadError.tooLong }
                let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
                sha1?.update(bytes)
                sha256?.update(bytes)
                try FS.writeAll(fd, bytes, path: path)
                received += Int64(n)
                try written(bytes)
            }
        } catch let e as UploadError {
            _ = ftruncate(fd, off_t(upload.offset))
            throw e
        } catch let e as SystemError where e.isDiskFull {
            _ = ftruncate(fd, off_t(upload.offset))
            throw UploadError.diskFull
        } catch {
            interruption = error
        }
        if let checksum {
            let actual = sha1?.finalize() ?? sha256?.finalize().bytes ?? []
            guard interruption == nil, ConstantTime.equals(actual, checksum.expected) else {
                _ = ftruncate(fd, off_t(upload.offset))
                throw interruption ?? UploadError.checksumMismatch
            }
        }
        var updated = upload
        if received > 0 {
            do { try FS.fsync(fd, path: path) } catch let e as SystemError where e.isDiskFull {
                _ = ftruncate(fd, off_t(upload.offset))
                throw UploadError.diskFull
            }
            updated.offset += received
            updated.expiresAt = Self.now() + ttl
            try vault.db.transaction {
                try vault.db.query("UPDATE uploads SET offset = ?, expires_at = ? WHERE id = ? AND offset = ?",
                                   [.integer(updated.offset), .integer(updated.expiresAt), .text(upload.id),
                                    .integer(upload.offset)])
                guard vault.db.changes == 1 else { throw UploadError.offsetMismatch(current: -1) }
            }
        }
        if let interruption { throw interruption }
        return updated
    }

    public static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }

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
        try vault.record(CustodyEvent(actor: .device(upload.owner), action: .upload, exhibit: exhibit,
                                      objectSHA256: upload.metadata.sha256?.hex, outcome: outcome, reason: reason,
                                      details: all))
    }
}
