import CustodyCore
import Foundation
import HTTPServer
import Ledger
import Vault

/// The remote workers' JSON API under `/api/v1/worker/` (README, *Remote redaction workers*): every
/// request carries a worker's bearer token (`cwt_`), and the worker it belongs to is the acting party.
/// `GET store` says where the shared chunk store is; `POST lease` leases the next redaction (204 when
/// none is due); `POST leases/<ID>/renew|done|failed|release` report on it. Requests without a valid
/// worker token are refused (401) and recorded within a budget, as docks' are; reports under a lease
/// that is no longer the worker's are refused (409) and recorded by the use case.
struct WorkerHandler {
    let pool: VaultPool
    let log: Log
    let clock: CustodyClock
    /// Where workers find the shared store (the file store's folder).
    let store: String
    let leaseSeconds: Int64
    let refusals: RefusalBudget

    static let unauthenticated = Actor(id: Actor.unauthenticatedID, kind: .worker)
    /// The largest report: a chunk list of a long recording (about 100 bytes a chunk).
    static let maxReportBody = 16 << 20
    static let maxFailureBody = 64 << 10

    func handle(_ request: HTTPRequestHead, body: HTTPBody, connection: HTTPConnectionInfo) -> HTTPResponse {
        do {
            let worker = try authenticate(request, connection: connection)
            let parts = request.path.dropFirst(Self.prefix.count)
                .split(separator: "/", omittingEmptySubsequences: false)
            switch (request.method, parts.count, parts.first, parts.last) {
            case ("GET", 1, "store", _): return APIHandler.json(.ok, ["store": store])
            case ("POST", 1, "lease", _): return try lease(worker)
            case ("POST", 3, "leases", let action?):
                return try report(String(parts[1]), action: String(action), worker: worker, body: body)
            case (_, _, "store", _), (_, _, "lease", _), (_, 3, "leases", _):
                throw APIRefusal(.methodNotAllowed, "\(request.method.prefix(16)) is not allowed here")
            default:
                throw APIRefusal(.notFound, "no such endpoint: see the README's Remote redaction workers section")
            }
        } catch let refusal as APIRefusal {
            return APIHandler.answer(refusal)
        } catch let error as HTTPRequestError {
            return APIHandler.answer(APIRefusal(error.status, error.message))
        } catch let error as CustodyError {
            return APIHandler.answer(APIRefusal(error))  // the use case recorded it
        } catch {
            log.error("worker request failed", ["error": String(describing: error)])
            return APIHandler.answer(APIRefusal(.internalServerError, "the request failed on the server", exit: 3))
        }
    }

    static let prefix = WorkerMessages.prefix

    private func lease(_ worker: String) throws -> HTTPResponse {
        guard let lease = try pool.with({
            try $0.leaseRedaction(worker: worker, now: clock.now(), leaseSeconds: leaseSeconds)
        }) else {
            return HTTPResponse(status: HTTPStatus(code: 204), headers: ["Cache-Control": "no-store"], bytes: [])
        }
        log.info("redaction leased", ["worker": worker, "bundle": lease.bundle, "exhibit": lease.parent])
        return APIHandler.json(.ok, WorkerMessages.assignment(lease))
    }

    private func report(_ leaseID: String, action: String, worker: String, body: HTTPBody) throws -> HTTPResponse {
        switch action {
        case "renew":
            let until = try pool.with {
                try $0.renewRedaction(leaseID, worker: worker, now: clock.now(), leaseSeconds: leaseSeconds)
            }
            return APIHandler.json(.ok, ["lease_until": until])
        case "done":
            let report = try refusingMalformed(worker) {
                try WorkerMessages.report(body.readAll(limit: Self.maxReportBody))
            }
            let result = try pool.with { try $0.completeRedaction(leaseID, worker: worker, report: report) }
            log.info("redaction catalogued", ["worker": worker, "exhibit": result.exhibit.id])
            return APIHandler.json(.ok, ["exhibit": result.exhibit.id, "sha256": result.exhibit.sha256.hex,
                                         "duplicate": result.duplicate])
        case "failed":
            let error = try refusingMalformed(worker) {
                try WorkerMessages.failure(body.readAll(limit: Self.maxFailureBody))
            }
            try pool.with { try $0.failRedaction(leaseID, worker: worker, error: error, now: clock.now()) }
            return APIHandler.json(.ok, [:])
        case "release":
            try pool.with { try $0.releaseRedaction(leaseID, worker: worker) }
            return APIHandler.json(.ok, [:])
        default:
            throw APIRefusal(.notFound, "no such report: renew, done, failed or release")
        }
    }

    /// Parses a report's body; a malformed one is refused and recorded (the worker named).
    private func refusingMalformed<T>(_ worker: String, _ parse: () throws -> T) throws -> T {
        do { return try parse() } catch let e as CustodyError {
            try pool.with {
                _ = $0.refuse(.worker(worker), .redact, reason: e.message, details: ["report": "malformed"])
            }
            throw e
        }
    }

    /// The worker a bearer token belongs to; anything else is refused (401) and recorded, never the token.
    private func authenticate(_ request: HTTPRequestHead, connection: HTTPConnectionInfo) throws -> String {
        let given = request.headers.values(for: "Authorization")
        let header = given.count == 1 ? given[0] : ""
        let token = header.prefix(7).lowercased() == "bearer " ? String(header.dropFirst(7)) : nil
        if let token, let worker = try pool.with({ try $0.authenticateWorker(token: token) }) { return worker }
        let reason = given.count > 1 ? "Authorization given more than once"
            : token == nil ? "no bearer token"
            : "unknown or revoked worker token"
        try refusals.admit(peer: connection.remoteHost, now: clock.uptime(), pool: pool,
                           summarize: { try recordUnrecorded($0, in: $1) }) { vault in
            try vault.refuseRecorded(Self.unauthenticated, .redact, reason: reason,
                                     details: ["method": request.method, "remote": connection.remoteAddress])
        }
        throw APIRefusal(.unauthorized, "a registered worker's token is needed (`custody worker add NAME` prints one)",
                         recorded: true)
    }

    func recordUnrecorded(_ summary: RefusalBudget.Summary, in vault: Vault) throws {
        try refusals.record(summary, as: Self.unauthenticated, .redact,
                            what: "worker API requests without a valid worker token", in: vault)
    }

    /// The sweeper's round: an ended window's summary of unrecorded refusals.
    func recordEndedWindow(now: Double, in vault: Vault) {
        guard let summary = refusals.endedWindow(now: now) else { return }
        do { try recordUnrecorded(summary, in: vault) } catch {
            log.error("refused worker requests could not be recorded", ["error": String(describing: error)])
        }
    }
}
