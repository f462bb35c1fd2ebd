import CustodyCore
import Foundation
import HTTPServer
import Ledger
import POSIX
import Vault
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The API's endpoints that move an exhibit's bytes: an ingest's upload and an export's download, both
/// streamed (never a whole recording in memory).
extension APIHandler {
    /// `POST /api/v1/exhibits?file=PATH&argv=JSON`: the body is the file the client named PATH, streamed
    /// into the request's scratch folder; then `argv` (an `ingest` command line naming PATH) runs as
    /// for `commands`, reading that copy. The officer's role is checked before any byte is taken.
    func ingest(_ request: HTTPRequestHead, body: HTTPBody, officer: String) throws -> HTTPResponse {
        guard let file = request.queryValue("file"), !file.isEmpty, file.utf8.count <= 4096 else {
            throw APIRefusal(.badRequest, "file= must name the file sent (the path given to custody ingest)",
                             action: .ingest)
        }
        let json = request.queryValue("argv").flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) }
        let argv = try APICommandRequest.argv(json)
        guard argv.first == "ingest" else {
            throw APIRefusal(.badRequest, "argv must be an ingest command line here", action: .ingest)
        }
        try refuseForbiddenArguments(argv, files: [file], command: "ingest")
        try pool.with { try $0.authorize(.officer(officer), to: .ingest, details: ["via": "api"]) }
        if let length = body.declaredLength, length > maxUploadBytes {
            throw APIRefusal(.contentTooLarge, "the file is larger than this server takes (\(maxUploadBytes) bytes)",
                             action: .ingest)
        }
        // The place is taken before a byte of the body is received.
        let release = try officerSlots.take(officer)
        defer { release() }
        try refuseIfTheDiskCannotHold(body.declaredLength)
        return try run(argv, officer: officer) { scratch in
            let copy = scratch.path + "/upload"
            try receive(body, into: copy)
            return [file: copy]
        }
    }

    /// Refuses (507) an upload of `length` bytes the data directory's disk cannot hold twice: the copy
    /// received, then its chunks in the store, before the copy is removed.
    private func refuseIfTheDiskCannotHold(_ length: Int64?) throws {
        guard let length, let free = try? FS.freeBytes(directory.root), length > free / 2 else { return }
        throw APIRefusal(HTTPStatus(code: 507), "the server's disk has \(free) bytes free: a file of \(length) bytes "
                         + "needs twice that while it is ingested; nothing was received", exit: 3, action: .ingest)
    }

    /// Streams the request body into a new file at `path`, at most `maxUploadBytes`.
    private func receive(_ body: HTTPBody, into path: String) throws {
        let fd = try FS.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        defer { close(fd) }
        var total: Int64 = 0
        try withUnsafeTemporaryAllocation(byteCount: 1 << 20, alignment: 16) { buffer in
            while true {
                let n = try body.read(into: buffer)
                if n == 0 { return }
                total += Int64(n)
                guard total <= maxUploadBytes else {
                    throw APIRefusal(.contentTooLarge, "the file is larger than this server takes "
                                     + "(\(maxUploadBytes) bytes)", action: .ingest)
                }
                do { try FS.writeAll(fd, UnsafeRawBufferPointer(rebasing: buffer[..<n]), path: path) } catch {
                    if let e = error as? SystemError, e.isDiskFull {
                        throw APIRefusal(HTTPStatus(code: 507), "the server's disk is full: nothing was ingested",
                                         exit: 3, action: .ingest)
                    }
                    throw error
                }
            }
        }
    }

    /// `GET /api/v1/exhibits/<EXHIBIT>/file?reason=TEXT&out=PATH`: the exhibit's original bytes, each chunk
    /// checked before it is sent; `Custody-Exhibit` and `Custody-SHA256` say what they must hash to. The
    /// `export` event (reason, `out` as the destination, the client's address) is recorded before the
    /// head is sent; damage or a client that goes away records a failed export and cuts the body short.
    func export(_ reference: String, _ request: HTTPRequestHead, officer: String,
                connection: HTTPConnectionInfo) throws -> HTTPResponse {
        let actor = Actor.officer(officer)
        let reason = request.queryValue("reason") ?? ""
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty, reason.utf8.count <= 1000 else {
            throw APIRefusal(.badRequest, "reason= is required (at most 1000 bytes): every export is recorded with "
                             + "its reason", action: .export)
        }
        var given = ["via": "api", "remote": connection.remoteAddress]
        if let out = request.queryValue("out") { given["destination"] = String(out.prefix(1000)) }
        let details = given
        let anchored = try pool.with { vault in
            try vault.startExport(try vault.exhibit(reference, for: .exportExhibit, by: actor), by: actor, reason: reason,
                                  details: details)
        }
        let headers: HTTPHeaders = ["Content-Type": "application/octet-stream", "Cache-Control": "no-store",
                                    "Custody-Exhibit": anchored.exhibit.id, "Custody-SHA256": anchored.sha256.hex]
        let (pool, log) = (pool, log)
        return HTTPResponse(status: .ok, headers: headers, body: .stream(length: anchored.size) { stream in
            do {
                try pool.with { vault in
                    try vault.streamExport(anchored, by: actor, details: details) { try stream.write($0) }
                }
            } catch {
                log.warning("an API export stopped", ["exhibit": anchored.exhibit.id, "sent": stream.written,
                                                     "error": String(describing: error)])
                throw error
            }
        })
    }

    /// `GET /api/v1/bundles/<ID>/zip`: a built bundle's ZIP, for an officer who may make bundles
    /// (`Vault.bundleZip` records the `download`), `Custody-SHA256` its SHA-256 recorded when it was built.
    func bundleZip(_ id: String, officer: String, connection: HTTPConnectionInfo) throws -> HTTPResponse {
        let zip = try pool.with {
            try $0.bundleZip(id, by: .officer(officer), details: ["via": "api", "remote": connection.remoteAddress])
        }
        let fd = try BundleHandler.openZip(zip.path, of: zip.bundle.id, size: zip.size)
        let headers: HTTPHeaders = ["Content-Type": "application/zip", "Cache-Control": "no-store",
                                    "Custody-Bundle": zip.bundle.id, "Custody-SHA256": zip.sha256]
        return .file(.ok, HTTPFileRegion(source: .descriptor(fd, closeWhenDone: true)), headers: headers)
    }

    /// One event for the refused requests of a window that did not get one each: without a valid
    /// officer token, or of `officer`.
    func recordUnrecorded(_ summary: RefusalBudget.Summary, of officer: String? = nil, in vault: Vault) throws {
        let budget = officer.map(officerRefusals.budget) ?? refusals
        try budget.record(summary, as: officer.map(Actor.officer) ?? Self.unauthenticated, .view,
                          what: officer == nil ? "API requests without a valid officer token"
                              : "refused API requests of this officer", in: vault)
    }

    /// The sweeper's round (`now`), or the shutdown's (`now` infinite): ended windows' summaries.
    func recordEndedWindows(now: Double, in vault: Vault) {
        var ended = officerRefusals.endedWindows(now: now)
        if let summary = refusals.endedWindow(now: now) { ended.append((nil, summary)) }
        for (officer, summary) in ended {
            do { try recordUnrecorded(summary, of: officer, in: vault) } catch {
                log.error("refused API requests could not be recorded", ["attempts": summary.attempts,
                                                                         "error": String(describing: error)])
            }
        }
    }
}
