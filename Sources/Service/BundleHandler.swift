import CourtBundle
import CustodyCore
import Foundation
import HTTPServer
import Vault
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The recipient's side of a court bundle, under `/bundles/`: `GET /bundles/<id>?exp=&rcpt=&sig=` is
/// the landing page, `GET|HEAD /bundles/<id>/<id>.zip?...` the ZIP (Range, If-Range, streamed from
/// disk). The signed link is the only credential (`Vault.openLink`). Refused links get 403 (404 for
/// an unknown bundle) and a ledger event within the refusal budget; the answer says no more than
/// that. The query (which holds the signature) is never logged.
struct BundleHandler {
    let pool: VaultPool
    let log: Log
    let clock: CustodyClock
    /// Refused links, from anyone: at most a burst of events per window, then one summary by peer.
    let refusals: RefusalBudget
    /// Responses under way that may become counted downloads (see `max_downloads`).
    let underWay = DownloadsUnderWay()

    static let unauthenticated = Actor(id: Actor.unauthenticatedID, kind: .recipient)

    /// Headers of every answer here: nothing cached, sniffed, referred or run.
    static let securityHeaders: HTTPHeaders = [
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
            + "form-action 'none'; frame-ancestors 'none'",
    ]

    func handle(_ request: HTTPRequestHead, connection: HTTPConnectionInfo) -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            return Self.text(.methodNotAllowed, "use GET or HEAD", ["Allow": "GET, HEAD"])
        }
        let parts = request.path.dropFirst("/bundles/".count).split(separator: "/", omittingEmptySubsequences: false)
        let id = String(parts[0])
        let isZip = parts.count == 2 && parts[1] == BundleLayout.zipName(id)
        let link = Self.link(id, request.query)
        guard parts.count == 1 || isZip, BundleID.number(of: id) != nil else {
            return refuse(.unknown, link, request, connection)
        }
        do {
            let opened: OpenedLink
            do { opened = try pool.with { try $0.openLink(link, now: clock.now()) } } catch let why as LinkRefusal {
                return refuse(why, link, request, connection)
            }
            let details = ["method": request.method, "remote": connection.remoteAddress]
            if !isZip { return try landing(opened, link, details) }
            return try download(opened, link, request, connection, details)
        } catch {
            log.error("bundle request failed", ["bundle": id, "error": String(describing: error)])
            return Self.text(.internalServerError, "the bundle cannot be served now; try again later")
        }
    }

    /// The link's values from the query (`exp`, `rcpt`, `sig`, percent-decoded); a value missing or
    /// given twice is empty, which no signature matches.
    static func link(_ id: String, _ query: String?) -> DownloadLink {
        var values = [String: [String]]()
        for item in (query ?? "").prefix(1024).split(separator: "&") {
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2, let value = HTTPRequestHead.percentDecode(pair[1]) else { continue }
            values[String(pair[0]), default: []].append(value)
        }
        func one(_ name: String) -> String { values[name]?.count == 1 ? values[name]![0] : "" }
        return DownloadLink(bundle: id, recipient: one("rcpt"), expires: one("exp"), sig: one("sig"))
    }

    /// The landing page, after its `view` event.
    private func landing(_ opened: OpenedLink, _ link: DownloadLink, _ details: [String: String]) throws
        -> HTTPResponse {
        let view = try pool.with { try $0.viewLandingPage(opened, details: details) }
        let query = "exp=\(link.expires)&rcpt=\(link.recipient)&sig=\(link.sig)"
        var headers = Self.securityHeaders
        headers.add(name: "Content-Type", value: "text/html; charset=utf-8")
        return HTTPResponse(status: .ok, headers: headers, bytes: Array(LandingPage.html(view, query: query).utf8))
    }

    /// The ZIP, whole or one range, from a descriptor opened now (a sweep removing the file meanwhile
    /// does not cut the response short). Recorded before the first byte and after the last.
    /// A GET that will send the last byte holds a place under `max_downloads` until it ends.
    private func download(_ opened: OpenedLink, _ link: DownloadLink, _ request: HTTPRequestHead,
                          _ connection: HTTPConnectionInfo, _ details: [String: String]) throws -> HTTPResponse {
        let fd = try Self.openZip(opened.zipPath, of: opened.bundle.id, size: opened.size)
        let etag = "\"\(opened.sha256)\""
        var headers = Self.securityHeaders
        headers.add(name: "ETag", value: etag)
        headers.add(name: "Accept-Ranges", value: "bytes")
        let status: HTTPStatus
        let part: DownloadPart
        switch ByteRange.of(range: request.headers.values(for: "Range"),
                            ifRange: request.headers.values(for: "If-Range"), size: opened.size, etag: etag) {
        case .whole:
            status = .ok
            part = DownloadPart(offset: 0, length: opened.size)
        case .part(let offset, let length):
            status = .partialContent
            part = DownloadPart(offset: offset, length: length)
            headers.add(name: "Content-Range", value: "bytes \(offset)-\(offset + length - 1)/\(opened.size)")
        case .unsatisfiable:
            close(fd)
            headers.add(name: "Content-Range", value: "bytes */\(opened.size)")
            return HTTPResponse(status: .rangeNotSatisfiable, headers: headers)
        }
        headers.add(name: "Content-Type", value: "application/zip")
        headers.add(name: "Content-Disposition",
                    value: "attachment; filename=\"\(BundleLayout.zipName(opened.bundle.id))\"")
        let id = opened.bundle.id
        let holdsPlace = request.method == "GET" && part.offset + part.length == opened.size
            && opened.bundle.maxDownloads != nil
        if holdsPlace, let limit = opened.bundle.maxDownloads {
            let reserved: Bool
            do {
                reserved = try underWay.reserve(id, limit: limit) { try pool.with { try $0.downloads(of: opened) } }
            } catch {
                close(fd)
                throw error
            }
            guard reserved else {
                close(fd)
                return refuse(.overLimit, link, request, connection)
            }
        }
        do {
            let sending = request.method == "GET"
            try pool.with { try $0.startDownload(opened, part: part, sending: sending, details: details) }
        } catch let why as LinkRefusal {
            close(fd)
            if holdsPlace { underWay.release(id) {} }
            return refuse(why, link, request, connection)
        } catch {
            close(fd)
            if holdsPlace { underWay.release(id) {} }
            throw error
        }
        var response = HTTPResponse.file(status, HTTPFileRegion(source: .descriptor(fd, closeWhenDone: true),
                                                                offset: part.offset, length: part.length),
                                         headers: headers)
        guard request.method == "GET" else { return response }
        response.whenSent = { [pool, log, underWay] delivery in
            func finish() {
                do {
                    try pool.with { vault in
                        try vault.finishDownload(opened, part: part, sent: delivery.bytes, complete: delivery.complete,
                                                 details: details)
                    }
                } catch {
                    log.error("a download could not be recorded", ["bundle": id, "bytes": delivery.bytes,
                                                                   "error": String(describing: error)])
                }
            }
            if holdsPlace { underWay.release(id, after: finish) } else { finish() }
        }
        return response
    }

    /// The built ZIP of bundle `id` opened for reading (a sweep removing the file meanwhile does not cut a
    /// response short), checked to be the size recorded when it was built.
    static func openZip(_ path: String, of id: String, size: Int64) throws -> Int32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CustodyError.missing(.file, "the ZIP of \(id) cannot be opened") }
        var info = stat()
        guard fstat(fd, &info) == 0, Int64(info.st_size) == size else {
            close(fd)
            throw CustodyError.integrity("the ZIP of \(id) is not the size recorded when it was built")
        }
        return fd
    }

    /// A refused link: recorded within the budget, answered 404 (unknown) or 403 with no detail.
    private func refuse(_ why: LinkRefusal, _ link: DownloadLink, _ request: HTTPRequestHead,
                        _ connection: HTTPConnectionInfo) -> HTTPResponse {
        do {
            try refusals.admit(peer: connection.remoteHost, now: clock.uptime(), pool: pool,
                               summarize: { try recordUnrecorded($0, in: $1) }) { vault in
                try vault.recordLinkRefusal(link, why, details: ["method": request.method,
                                                                 "remote": connection.remoteAddress])
            }
        } catch {
            log.error("a refused download link could not be recorded", ["reason": why.rawValue,
                                                                       "error": String(describing: error)])
        }
        if why == .unknown { return Self.text(.notFound, "no such bundle") }
        return Self.text(.forbidden, "this link cannot be used (it may have expired or been withdrawn); "
                         + "ask whoever sent it for a new one")
    }

    /// One event for the refused links of a window that did not get one each.
    func recordUnrecorded(_ summary: RefusalBudget.Summary, in vault: Vault) throws {
        try refusals.record(summary, as: Self.unauthenticated, .download, what: "refused download links", in: vault)
    }

    /// The sweeper's round: the refused links of an ended window, then the ZIPs of lapsed bundles.
    func sweep(_ vault: Vault) throws {
        if let summary = refusals.endedWindow(now: clock.uptime()) {
            do { try recordUnrecorded(summary, in: vault) } catch {
                log.error("refused download links could not be recorded", ["error": String(describing: error)])
            }
        }
        for removed in try vault.removeLapsedBundles(now: clock.now()) {
            log.info("bundle removed", ["bundle": removed.id, "revoked": removed.revokedAt != nil])
        }
    }

    /// At shutdown: the open window's unrecorded refusals get their summary now.
    func flushRefusals() {
        guard let summary = refusals.endedWindow(now: .infinity, force: true) else { return }
        do { try pool.with { try recordUnrecorded(summary, in: $0) } } catch {
            log.error("refused download links could not be recorded", ["attempts": summary.attempts,
                                                                       "error": String(describing: error)])
        }
    }

    private static func text(_ status: HTTPStatus, _ message: String, _ extra: HTTPHeaders = [:]) -> HTTPResponse {
        var headers = securityHeaders
        for field in extra { headers.add(name: field.name, value: field.value) }
        return .text(status, message + "\n", headers: headers)
    }
}
