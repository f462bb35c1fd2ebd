import Catalog
import CustodyCore
import Foundation
import HTTPServer
import Ledger
import Uploads
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
    let refusals: RefusalBudget
    let dockRefusals: DockRefusals
    let retries = IngestRetries()
    let startupIngests = StartupIngests()

    init(configuration: ServiceConfiguration, pool: VaultPool, metrics: Metrics, log: Log) {
        self.configuration = configuration
        self.pool = pool
        self.metrics = metrics
        self.log = log
        refusals = RefusalBudget(burst: configuration.refusalsRecordedPerWindow, window: configuration.refusalWindow)
        dockRefusals = DockRefusals(burst: configuration.refusalsRecordedPerWindow, window: configuration.refusalWindow)
    }

    /// The upload store of `vault`, on the service's clock.
    func uploads(in vault: Vault) throws -> UploadStore { try UploadStore(vault: vault, clock: configuration.clock) }

    /// Now on the clock refusal windows and ingest retry waits are measured on.
    var uptime: Double { configuration.clock.uptime() }

    func handle(_ request: HTTPRequestHead, body: HTTPBody, connection: HTTPConnectionInfo) -> HTTPResponse {
        if request.method == "OPTIONS" {
            return Tus.response(.noContent, ["Tus-Version": Tus.version, "Tus-Extension": Tus.extensions,
                                             "Tus-Max-Size": String(configuration.maxUploadBytes),
                                             "Tus-Checksum-Algorithm": Tus.checksumAlgorithms])
        }
        var dock: String?
        do {
            // Authenticated first, so every refused access attempt is in the ledger, whatever it sent.
            let owner = try authenticate(request, connection: connection)
            dock = owner
            try Tus.checkCommonHeaders(request)
            let id = String(request.path.dropFirst("/files/".count))
            switch (request.method, id.isEmpty) {
            case ("POST", true): return try create(request, body: body, dock: owner)
            case ("HEAD", false), ("GET", false): return try head(id, dock: owner)
            case ("PATCH", false): return try patch(id, request: request, body: body, dock: owner)
            case ("DELETE", false): return try terminate(id, dock: owner)
            default:
                throw Tus.Refusal(status: .methodNotAllowed, message: "\(request.method) is not allowed here",
                                  reason: "method")
            }
        } catch let error as HTTPRequestError {
            // The body was malformed, too slow or cut short: the client's fault, answered as such.
            // What arrived before it is kept (tus core); HEAD says how much.
            metrics.increment("custody_upload_failures_total{reason=\"body\"}")
            log.warning("upload body refused", ["method": request.method, "error": error.description])
            if let dock {
                recordRefusal(of: dock, request, connection: connection, status: error.status, message: error.message,
                              reason: "body")
            }
            return Tus.response(error.status, text: error.message)
        } catch let refusal as Tus.Refusal {
            return answer(refusal, dock: dock, request, connection: connection)
        } catch {
            // A domain error the dock can act on is a refusal; anything else is our failure.
            if let e = error as? CustodyError, let refusal = Tus.refusal(e) {
                return answer(refusal, dock: dock, request, connection: connection)
            }
            metrics.increment("custody_upload_failures_total{reason=\"internal\"}")
            log.error("upload request failed", ["method": request.method, "error": String(describing: error)])
            return Tus.response(.internalServerError, text: "the upload could not be stored; retry later")
        }
    }

    /// A refused request: counted, recorded within the dock's budget unless it was already, answered.
    private func answer(_ refusal: Tus.Refusal, dock: String?, _ request: HTTPRequestHead,
                        connection: HTTPConnectionInfo) -> HTTPResponse {
        metrics.increment("custody_upload_failures_total{reason=\"\(refusal.reason)\"}")
        if let dock, !refusal.recorded {
            recordRefusal(of: dock, request, connection: connection, status: refusal.status,
                          message: refusal.ledgerReason ?? refusal.message, reason: refusal.reason)
        }
        var headers = refusal.headers
        if refusal.status == Tus.preconditionFailed { headers.add(name: "Tus-Version", value: Tus.version) }
        if refusal.status == .unauthorized {
            headers.add(name: "WWW-Authenticate", value: "Bearer realm=\"custody\"")
        }
        return Tus.response(refusal.status, headers, text: refusal.message)
    }

    /// An upload of this dock's, or 404 for anyone else's, as for an unknown ID: docks cannot probe
    /// each other's uploads. The ledger says whose it is (the dock is not told), within the dock's
    /// refusal budget like its other refusals.
    private func owned(_ id: String, dock: String, vault: Vault, store: UploadStore) throws -> Upload {
        do { return try vault.upload(id, of: .device(dock), in: store) } catch let e as UploadError {
            throw Tus.refusal(e)
        }
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
        metadata = try UploadMetadata(header: request.headers["Upload-Metadata"])
        var upload = try pool.with { vault in
            try vault.createUpload(by: .device(dock), length: length, metadata: metadata, ttl: configuration.uploadTTL,
                                   in: uploads(in: vault))
        }
        log.info("upload created", ["upload": upload.id, "dock": dock, "length": length])
        var headers: HTTPHeaders = ["Location": location(request, upload.id),
                                    "Upload-Expires": Tus.httpDate(upload.expiresAt)]
        if Tus.isOffsetStream(request) || length == 0 {
            // Created, but its first bytes were refused or broke off: the dock gets the upload's
            // address all the same, to HEAD it and resume rather than start another upload.
            do { upload = try receive(upload, request: request, body: body) } catch var refusal as Tus.Refusal {
                refusal.headers.add(name: "Location", value: headers["Location"] ?? "")
                throw refusal
            } catch let error as CustodyError {
                // Refused by the ingest of its last byte (disk full, the dock revoked meanwhile).
                guard var refusal = Tus.refusal(error) else { throw error }
                refusal.headers.add(name: "Location", value: headers["Location"] ?? "")
                throw refusal
            } catch let error as HTTPRequestError {
                log.warning("upload body refused", ["method": request.method, "error": error.description])
                throw Tus.Refusal(status: error.status, message: error.message, reason: "body",
                                  headers: ["Location": headers["Location"] ?? ""])
            }
            headers.add(name: "Upload-Offset", value: String(upload.offset))
            if let exhibit = upload.exhibit { headers.add(name: "Custody-Exhibit", value: exhibit) }
        }
        return Tus.response(.created, headers)
    }

    private func head(_ id: String, dock: String) throws -> HTTPResponse {
        var upload = try pool.with { try owned(id, dock: dock, vault: $0, store: uploads(in: $0)) }
        if upload.state == .active && upload.isFinished { upload = finishReceived(upload) }
        try refuseIfExpired(upload)
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
        guard Tus.isOffsetStream(request) else {
            throw Tus.Refusal(status: Tus.unsupportedMediaType, message: "PATCH needs Content-Type: "
                              + Tus.offsetContentType, reason: "content_type")
        }
        guard let offset = try Tus.integer(request, "Upload-Offset") else {
            throw Tus.Refusal(status: .badRequest, message: "Upload-Offset is required", reason: "no_offset")
        }
        let upload = try pool.with { try owned(id, dock: dock, vault: $0, store: uploads(in: $0)) }
        try refuseIfExpired(upload)
        switch upload.state {
        case .active: break
        case .completed:
            // A client whose answer to its last PATCH was lost, retrying it: the upload is done, and
            // its offset is its length (409 for any other offset, as for an active upload).
            guard offset == upload.length else { throw Tus.refusal(.offsetMismatch(current: upload.length)) }
            guard (body.declaredLength ?? 0) == 0 else { throw Tus.refusal(.tooLong) }
            return Tus.response(.noContent, ["Upload-Offset": String(upload.length),
                                             "Custody-Exhibit": upload.exhibit ?? ""])
        case .terminated, .expired, .quarantined: throw Tus.refusal(.gone(upload.state))
        }
        guard offset == upload.offset else { throw Tus.refusal(.offsetMismatch(current: upload.offset)) }
        let done = try receive(upload, request: request, body: body)
        var headers: HTTPHeaders = ["Upload-Offset": String(done.offset)]
        if done.state == .active { headers.add(name: "Upload-Expires", value: Tus.httpDate(done.expiresAt)) }
        if let exhibit = done.exhibit { headers.add(name: "Custody-Exhibit", value: exhibit) }
        return Tus.response(.noContent, headers)
    }

    private func terminate(_ id: String, dock: String) throws -> HTTPResponse {
        // Ownership first: another dock's upload is 404 (recorded within its refusal budget) even while
        // it is busy.
        _ = try pool.with { try owned(id, dock: dock, vault: $0, store: uploads(in: $0)) }
        try busy.holding(id) {
            try pool.with { vault in
                let store = try uploads(in: vault)
                do {
                    let upload = try owned(id, dock: dock, vault: vault, store: store)
                    try vault.terminateUpload(upload, by: .device(dock), in: store)
                } catch let e as UploadError {
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
                let store = try uploads(in: vault)
                do {
                    // Re-read under the lock: another request may have moved it on.
                    guard let current = try store.get(upload.id), current.offset == upload.offset else {
                        throw UploadError.offsetMismatch(current: -1)
                    }
                    try refuseIfExpired(current)
                    switch current.state {
                    case .active: break
                    case .completed: return current  // ingested meanwhile (by a HEAD or the sweeper)
                    case .terminated, .expired, .quarantined: throw UploadError.gone(current.state)
                    }
                    if current.isFinished {
                        // Every byte is in but the ingest did not happen (it failed, or the daemon
                        // stopped first): only the ingest is left, and the pieces may be chunks already.
                        return try ingest(current, by: .device(upload.owner), vault: vault, store: store,
                                          hasher: nil)
                    }
                    let hasher = try hashers.take(current, store: store)
                    var updated = try vault.appendToUpload(current, by: .device(current.owner), checksum: checksum,
                                                           ttl: configuration.uploadTTL, hasher: hasher, in: store) {
                        try body.read(into: $0)
                    }
                    metrics.increment("custody_upload_bytes_total", by: Double(updated.offset - current.offset))
                    if !updated.isFinished {
                        hashers.put(updated.id, hasher)  // only after a clean append: it saw exactly the bytes kept
                    } else {
                        updated = try ingest(updated, by: .device(updated.owner), vault: vault, store: store,
                                             hasher: hasher)
                    }
                    return updated
                } catch let e as UploadError {
                    throw Tus.refusal(e)
                }
            }
        }
    }

    /// An unfinished upload past its expiry is gone, even before the sweeper removes it.
    private func refuseIfExpired(_ upload: Upload) throws {
        if upload.state == .active, !upload.isFinished, upload.isPastExpiry(at: configuration.clock.now()) {
            throw Tus.refusal(.gone(.expired))
        }
    }

    /// The absolute URL of an upload: under --public-url, else the address the dock used.
    private func location(_ request: HTTPRequestHead, _ id: String) -> String {
        if let base = configuration.publicURL { return base.trimmingSuffix("/") + "/files/" + id }
        let host = request.headers["Host"].flatMap { h in
            h.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "@") } ? h : nil
        } ?? "\(configuration.host):\(configuration.port)"
        return "\(configuration.tls == nil ? "http" : "https")://\(host)/files/\(id)"
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
