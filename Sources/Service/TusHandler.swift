import CustodyCore
import Foundation
import HTTPServer
import Ledger
import Vault

/// The tus 1.0.0 endpoint at `/files/`: docks create an upload, PATCH its bytes (resuming after a
/// HEAD), or delete it. Every request but OPTIONS needs a dock's bearer token; a refused one is
/// recorded in the ledger. The last byte triggers the ingest into the vault.
struct TusHandler {
    let configuration: ServiceConfiguration
    let pool: VaultPool
    let metrics: Metrics
    let log: Log
    let busy = BusyUploads()
    let hashers = UploadHashers()

    func handle(_ request: HTTPRequestHead, body: HTTPBody, connection: HTTPConnectionInfo) -> HTTPResponse {
        if request.method == "OPTIONS" {
            return Tus.response(.noContent, ["Tus-Version": Tus.version, "Tus-Extension": Tus.extensions,
                                             "Tus-Max-Size": String(configuration.maxUploadBytes),
                                             "Tus-Checksum-Algorithm": Tus.checksumAlgorithms])
        }
        do {
            guard request.headers["Tus-Resumable"] == Tus.version else {
                throw Tus.Refusal(status: Tus.preconditionFailed, message: "this server speaks tus \(Tus.version)",
                                  reason: "tus_version")
            }
            let dock = try authenticate(request, connection: connection)
            let id = String(request.path.dropFirst("/files/".count))
            switch (request.method, id.isEmpty) {
            case ("POST", true): return try create(request, body: body, dock: dock)
            case ("HEAD", false), ("GET", false): return try head(id, dock: dock)
            case ("PATCH", false): return try patch(id, request: request, body: body, dock: dock)
            case ("DELETE", false): return try terminate(id, dock: dock)
            default:
                throw Tus.Refusal(status: .methodNotAllowed, message: "\(request.method) is not allowed here",
                                  reason: "method")
            }
        } catch let refusal as Tus.Refusal {
            metrics.increment("custody_upload_failures_total{reason=\"\(refusal.reason)\"}")
            var headers: HTTPHeaders = [:]
            if refusal.status == Tus.preconditionFailed { headers.add(name: "Tus-Version", value: Tus.version) }
            if refusal.status == .unauthorized {
                headers.add(name: "WWW-Authenticate", value: "Bearer realm=\"custody\"")
            }
            return Tus.response(refusal.status, headers, text: refusal.message)
        } catch {
            metrics.increment("custody_upload_failures_total{reason=\"internal\"}")
            log.error("upload request failed", ["method": request.method, "error": String(describing: error)])
            return Tus.response(.internalServerError, text: "the upload could not be stored; retry later")
        }
    }

    /// The dock a bearer token belongs to. Missing, unknown and revoked tokens are refused and logged
    /// in the ledger (never the token itself).
    private func authenticate(_ request: HTTPRequestHead, connection: HTTPConnectionInfo) throws -> String {
        let header = request.headers["Authorization"] ?? ""
        let token = header.hasPrefix("Bearer ") ? String(header.dropFirst(7)) : nil
        if let token, let dock = try pool.with({ try DeviceRegistry(db: $0.db).authenticate(token: token) }) {
            return dock
        }
        let reason = token == nil ? "no bearer token" : "unknown or revoked token"
        try pool.with { vault in
            try vault.record(CustodyEvent(actor: Actor(id: "unauthenticated", kind: .device), action: .upload,
                                          outcome: .refused, reason: reason,
                                          details: ["method": request.method, "remote": connection.remoteAddress]))
        }
        throw Tus.Refusal(status: .unauthorized, message: "a registered dock's bearer token is needed", reason: "auth")
    }

    /// An upload of this dock's, or 404 (and a ledger event) for anyone else's: docks cannot probe
    /// each other's uploads.
    private func owned(_ id: String, dock: String, store: UploadStore) throws -> Upload {
        guard let upload = try store.get(id) else { throw Tus.refusal(.notFound) }
        guard upload.owner == dock else {
            try store.vault.record(CustodyEvent(actor: .device(dock), action: .upload, outcome: .refused,
                                                reason: "upload belongs to another dock", details: ["upload": id]))
            throw Tus.refusal(.notFound)
        }
        return upload
    }

    private func create(_ request: HTTPRequestHead, body: HTTPBody, dock: String) throws -> HTTPResponse {
        guard let length = try Tus.integer(request, "Upload-Length") else {
            throw Tus.Refusal(status: .badRequest, message: "Upload-Length is required (deferred length is not "
                              + "supported)", reason: "no_length")
        }
        guard length <= configuration.maxUploadBytes else {
            throw Tus.Refusal(status: .contentTooLarge, message: "Upload-Length exceeds Tus-Max-Size "
                              + "\(configuration.maxUploadBytes)", reason: "too_large")
        }
        let metadata: UploadMetadata
        do { metadata = try UploadMetadata(header: request.headers["Upload-Metadata"]) } catch let e as CustodyError {
            throw Tus.Refusal(status: .badRequest, message: e.message, reason: "bad_metadata")
        }
        var upload = try pool.with { vault in
            try UploadStore(vault: vault).create(owner: dock, length: length, metadata: metadata,
                                                 ttl: configuration.uploadTTL)
        }
        log.info("upload created", ["upload": upload.id, "dock": dock, "length": length])
        var headers: HTTPHeaders = ["Location": location(request, upload.id),
                                    "Upload-Expires": Tus.httpDate(upload.expiresAt)]
        if request.headers["Content-Type"] == Tus.offsetContentType || length == 0 {
            upload = try receive(upload, request: request, body: body)  // creation-with-upload
            headers.add(name: "Upload-Offset", value: String(upload.offset))
            if let exhibit = upload.exhibit { headers.add(name: "Custody-Exhibit", value: exhibit) }
        }
        return Tus.response(.created, headers)
    }

    private func head(_ id: String, dock: String) throws -> HTTPResponse {
        let upload = try pool.with { try owned(id, dock: dock, store: UploadStore(vault: $0)) }
        switch upload.state {
        case .active, .completed:
            var headers: HTTPHeaders = ["Upload-Offset": String(upload.offset), "Upload-Length": String(upload.length)]
            if !upload.metadata.header.isEmpty { headers.add(name: "Upload-Metadata", value: upload.metadata.header) }
            if upload.state == .active { headers.add(name: "Upload-Expires", value: Tus.httpDate(upload.expiresAt)) }
            if let exhibit = upload.exhibit { headers.add(name: "Custody-Exhibit", value: exhibit) }
            return Tus.response(.ok, headers)
        case .terminated, .expired, .quarantined:
            throw Tus.refusal(.gone(upload.state))
        }
    }

    private func patch(_ id: String, request: HTTPRequestHead, body: HTTPBody, dock: String) throws -> HTTPResponse {
        guard request.headers["Content-Type"] == Tus.offsetContentType else {
            throw Tus.Refusal(status: Tus.unsupportedMediaType, message: "PATCH needs Content-Type: "
                              + Tus.offsetContentType, reason: "content_type")
        }
        guard let offset = try Tus.integer(request, "Upload-Offset") else {
            throw Tus.Refusal(status: .badRequest, message: "Upload-Offset is required", reason: "no_offset")
        }
        let upload = try pool.with { try owned(id, dock: dock, store: UploadStore(vault: $0)) }
        if upload.state == .completed && offset == upload.length && (body.declaredLength ?? 0) == 0 {
            // A client repeating its last, empty PATCH: the upload is already done.
            return Tus.response(.noContent, ["Upload-Offset": String(upload.length),
                                             "Custody-Exhibit": upload.exhibit ?? ""])
        }
        guard upload.state == .active else { throw Tus.refusal(.gone(upload.state)) }
        guard offset == upload.offset else { throw Tus.refusal(.offsetMismatch(current: upload.offset)) }
        let done = try receive(upload, request: request, body: body)
        var headers: HTTPHeaders = ["Upload-Offset": String(done.offset)]
        if done.state == .active { headers.add(name: "Upload-Expires", value: Tus.httpDate(done.expiresAt)) }
        if let exhibit = done.exhibit { headers.add(name: "Custody-Exhibit", value: exhibit) }
        return Tus.response(.noContent, headers)
    }

    private func terminate(_ id: String, dock: String) throws -> HTTPResponse {
        try busy.holding(id) {
            try pool.with { vault in
                let store = try UploadStore(vault: vault)
                do { try store.terminate(try owned(id, dock: dock, store: store)) } catch let e as UploadError {
                    throw Tus.refusal(e)
                }
            }
        }
        return Tus.response(.noContent)
    }

    /// Streams the body into the upload (one request per upload at a time), then ingests it when the
    /// last byte is in.
    private func receive(_ upload: Upload, request: HTTPRequestHead, body: HTTPBody) throws -> Upload {
        if let declared = body.declaredLength, declared > upload.length - upload.offset {
            throw Tus.refusal(.tooLong)
        }
        let checksum = try Tus.checksum(request)
        return try busy.holding(upload.id) {
            metrics.add("custody_uploads_in_progress", 1)
            defer { metrics.add("custody_uploads_in_progress", -1) }
            return try pool.with { vault in
                let store = try UploadStore(vault: vault)
                do {
                    // Re-read under the lock: another request may have moved it on.
                    guard let current = try store.get(upload.id), current.offset == upload.offset else {
                        throw UploadError.offsetMismatch(current: -1)
                    }
                    let hasher = try hashers.take(current, store: store)
                    var updated = try store.append(current, checksum: checksum, ttl: configuration.uploadTTL,
                                                   hasher: hasher) { try body.read(into: $0) }
                    metrics.increment("custody_upload_bytes_total", by: Double(updated.offset - current.offset))
                    if !updated.isFinished {
                        hashers.put(updated.id, hasher)  // only after a clean append: it saw exactly the bytes kept
                    } else {
                        updated = try store.complete(updated, hasher: hasher)
                        metrics.increment("custody_ingests_total")
                        log.info("upload ingested", ["upload": updated.id, "dock": updated.owner,
                                                     "exhibit": updated.exhibit ?? "", "bytes": updated.length])
                    }
                    return updated
                } catch let e as UploadError {
                    throw Tus.refusal(e)
                }
            }
        }
    }

    /// The absolute URL of an upload: under --public-url, else the address the dock used.
    private func location(_ request: HTTPRequestHead, _ id: String) -> String {
        if let base = configuration.publicURL { return base.trimmingSuffix("/") + "/files/" + id }
        let host = request.headers["Host"].flatMap { h in
            h.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "@") } ? h : nil
        } ?? "\(configuration.host):\(configuration.port)"
        return "http://\(host)/files/\(id)"
    }
}

/// Upload IDs with a request in progress: tus allows one at a time per upload (423 otherwise).
final class BusyUploads: @unchecked Sendable {
    private let lock = NSLock()
    private var ids = Set<String>()

    func holding<T>(_ id: String, _ body: () throws -> T) throws -> T {
        lock.lock()
        let inserted = ids.insert(id).inserted
        lock.unlock()
        guard inserted else {
            throw Tus.Refusal(status: Tus.locked, message: "another request is writing this upload", reason: "locked")
        }
        defer {
            lock.lock()
            ids.remove(id)
            lock.unlock()
        }
        return try body()
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}

/// Hashers of uploads in progress, so each byte is hashed as it arrives. A hasher missing (after a
/// restart, or evicted) is rebuilt from the upload's durable pieces. A hasher holds no data.
final class UploadHashers: @unchecked Sendable {
    private let lock = NSLock()
    private var byUpload = [String: UploadHasher]()
    private var order = [String]()
    static let maxKept = 256

    /// The hasher for `upload`, taken out while a request feeds it.
    func take(_ upload: Upload, store: UploadStore) throws -> UploadHasher {
        lock.lock()
        let kept = byUpload.removeValue(forKey: upload.id)
        order.removeAll { $0 == upload.id }
        lock.unlock()
        if let kept, kept.received == upload.offset { return kept }
        return try store.rebuildHasher(upload)
    }

    func put(_ id: String, _ hasher: UploadHasher) {
        lock.lock()
        defer { lock.unlock() }
        byUpload[id] = hasher
        order.append(id)
        if order.count > Self.maxKept { byUpload.removeValue(forKey: order.removeFirst()) }
    }
}
