import CustodyCore
import Foundation
import HTTPServer
import Vault

/// Maps requests to custody's endpoints: health, metrics, tus uploads under `/files/`, the public
/// ledger under `/ledger/`, court bundles' download links under `/bundles/` and the officers' API under
/// `/api/v1/`.
struct Router: HTTPHandler {
    let directory: DataDirectory
    let metrics: Metrics
    let tus: TusHandler
    let ledger: LedgerHandler
    let bundles: BundleHandler
    let api: APIHandler
    let workers: WorkerHandler
    let storeWatch: StoreWatch

    /// The route label used in metrics and logs: the endpoint, never the full path (which may carry
    /// upload IDs or signed-link parameters).
    static func route(_ path: String) -> String {
        switch path {
        case "/healthz": return "healthz"
        case "/metrics": return "metrics"
        case "/files": return "tus"
        case _ where path.hasPrefix("/files/"): return "tus"
        case "/ledger": return "ledger"
        case _ where path.hasPrefix("/ledger/"): return "ledger"
        case _ where path.hasPrefix("/bundles/"): return "bundles"
        case _ where path.hasPrefix(WorkerHandler.prefix): return "worker"
        case _ where path.hasPrefix("/api/"): return "api"
        default: return "other"
        }
    }

    func handle(_ request: HTTPRequestHead, body: HTTPBody, connection: HTTPConnectionInfo) throws -> HTTPResponse {
        switch Self.route(request.path) {
        case "tus": return tus.handle(request, body: body, connection: connection)
        case "ledger": return ledger.handle(request)
        case "bundles": return bundles.handle(request, connection: connection)
        case "api": return api.handle(request, body: body, connection: connection)
        case "worker": return workers.handle(request, body: body, connection: connection)
        default: break
        }
        switch (request.method, request.path) {
        case ("GET", "/healthz"), ("HEAD", "/healthz"): return health()
        case ("GET", "/metrics"), ("HEAD", "/metrics"):
            return .text(.ok, metrics.render(), headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"])
        case (_, "/healthz"), (_, "/metrics"):
            return .text(.methodNotAllowed, "use GET\n", headers: ["Allow": "GET, HEAD"])
        default:
            return .text(.notFound, "no such endpoint\n")
        }
    }

    /// 200 when the catalog answers a query, 503 otherwise, so a load balancer stops sending uploads.
    private func health() -> HTTPResponse {
        do {
            let health = try Vault.health(of: directory)
            var fields: [String: Any] = ["status": "ok", "events": health.events]
            // Uploads are staged while it is down, so the service is up; the store is named as down.
            if storeWatch.problem != nil { fields["store"] = "unreachable" }
            let body = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
            return HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"],
                                data: body + Data("\n".utf8))
        } catch {
            return .text(.serviceUnavailable, "catalog unavailable\n")
        }
    }
}

/// Feeds request metrics and one log line per request (method, route, status, timing; no headers).
struct RequestObserver: HTTPServerObserver {
    let metrics: Metrics
    let log: Log

    func requestCompleted(_ record: HTTPRequestRecord) {
        let route = Router.route(record.path)
        metrics.increment("custody_http_requests_total{route=\"\(route)\",status=\"\(record.status)\"}")
        metrics.observe("custody_http_request_seconds", seconds: record.duration)
        metrics.increment("custody_http_received_bytes_total", by: Double(record.bodyBytesIn))
        log.info("request", ["method": record.method, "route": route, "status": record.status,
                             "ms": Int(record.duration * 1000), "bytes_in": record.bodyBytesIn,
                             "bytes_out": record.bytesOut, "connection": Int(record.connectionID)])
    }

    func connectionRejected() {
        metrics.increment("custody_http_connections_rejected_total")
        log.warning("connection refused: too many open connections", [:])
    }

    func handshakeFailed(remoteAddress: String, reason: String) {
        metrics.increment("custody_tls_handshake_failures_total")
        log.warning("TLS handshake failed", ["remote": remoteAddress, "reason": String(reason.prefix(300))])
    }
}
