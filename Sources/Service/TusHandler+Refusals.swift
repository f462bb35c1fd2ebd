import CustodyCore
import Foundation
import HTTPServer
import Ledger
import Vault

/// Who was refused, and how that reaches the ledger: requests without a valid token share one
/// budget (`refusals`), each registered dock has its own (`dockRefusals`). Within a budget every
/// refusal gets an event of its own; past it they are counted and recorded in one event per window.
extension TusHandler {
    /// The dock a bearer token belongs to. Missing, unknown, revoked and repeated tokens are refused
    /// and recorded in the ledger (never the token itself), within the refusal budget.
    func authenticate(_ request: HTTPRequestHead, connection: HTTPConnectionInfo) throws -> String {
        let given = request.headers.values(for: "Authorization")
        let header = given.count == 1 ? given[0] : ""
        // The scheme's name is case-insensitive (RFC 9110, section 11.1).
        let token = header.prefix(7).lowercased() == "bearer " ? String(header.dropFirst(7)) : nil
        if let token, let dock = try pool.with({ try $0.authenticate(token: token) }) {
            return dock
        }
        let reason = given.count > 1 ? "Authorization given more than once"
            : token == nil ? "no bearer token"
            : token!.hasPrefix("cot_") ? "an officer's token was used to upload (docks have their own)"
            : "unknown or revoked token"
        try refusals.admit(peer: connection.remoteHost, now: uptime, pool: pool,
                           summarize: { try recordUnrecorded($0, in: $1) }) { vault in
            try vault.refuseRecorded(Self.unauthenticated, .upload, reason: reason,
                                     details: ["method": request.method, "remote": connection.remoteAddress])
        }
        if given.count > 1 { throw Tus.duplicated("Authorization") }
        throw Tus.Refusal(status: .unauthorized, message: "a registered dock's bearer token is needed", reason: "auth")
    }

    static let unauthenticated = Actor(id: Actor.unauthenticatedID, kind: .device)

    /// Records a refused (or, for a 5xx, failed) request of a registered dock, within its budget.
    /// `message` is the event's reason. Refusals recorded where they happen (a quarantined recording)
    /// are not recorded twice. A refusal that cannot be recorded is logged: the request is refused anyway.
    func recordRefusal(of dock: String, _ request: HTTPRequestHead, connection: HTTPConnectionInfo,
                       status: HTTPStatus, message: String, reason: String) {
        do {
            try dockRefusals.budget(dock).admit(peer: connection.remoteHost, now: uptime, pool: pool,
                                                summarize: { try recordUnrecorded($0, of: dock, in: $1) }) { vault in
                var details = ["method": request.method, "status": String(status.code), "refusal": reason,
                               "remote": connection.remoteAddress]
                let id = request.path.dropFirst("/files/".count)
                if !id.isEmpty { details["upload"] = String(id.prefix(64)) }
                try vault.refuseRecorded(.device(dock), .upload, reason: message,
                                         outcome: status.code >= 500 ? .failed : .refused, details: details)
            }
        } catch {
            log.error("a refused upload request could not be recorded", ["dock": dock, "status": status.code,
                                                                         "error": String(describing: error)])
        }
    }

    /// One event for a window's refused attempts that did not get one each: by `dock`, or without
    /// a valid token. If it cannot be written, the counts go back into the budget for the next summary.
    func recordUnrecorded(_ summary: RefusalBudget.Summary, of dock: String? = nil, in vault: Vault) throws {
        let budget = dock.map(dockRefusals.budget) ?? refusals
        let what = dock == nil ? "refused attempts without a valid token" : "refused requests of this dock"
        try budget.record(summary, as: dock.map(Actor.device) ?? Self.unauthenticated, .upload, what: what, in: vault)
    }

    /// Every budget's summary of an ended window (`now` infinite: of the open ones too).
    func endedWindows(now: Double) -> [(dock: String?, summary: RefusalBudget.Summary)] {
        var ended = dockRefusals.endedWindows(now: now)
        if let summary = refusals.endedWindow(now: now) { ended.append((nil, summary)) }
        return ended
    }

    /// Records `ended` summaries; one that cannot be written goes back into its budget for the next.
    func record(_ ended: [(dock: String?, summary: RefusalBudget.Summary)], in vault: Vault) throws {
        var failure: (any Error)?
        for (dock, summary) in ended {
            do { try recordUnrecorded(summary, of: dock, in: vault) } catch { failure = failure ?? error }
        }
        if let failure { throw failure }
    }

    /// At shutdown: the open windows' unrecorded refusals get their summaries now.
    func flushRefusals() {
        let ended = endedWindows(now: .infinity)
        guard !ended.isEmpty else { return }
        do { try pool.with { try record(ended, in: $0) } } catch {
            let attempts = ended.reduce(0) { $0 + $1.summary.attempts }
            log.error("refused attempts could not be recorded", ["attempts": attempts,
                                                                 "error": String(describing: error)])
        }
    }
}
