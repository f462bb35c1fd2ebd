import CustodyCore
import Foundation
import HTTPServer
import Ledger
import Report
import Vault

/// The officers' JSON API under `/api/v1/`, which `custody --server URL` speaks: every request carries
/// an officer's personal bearer token (`cot_`), and the officer it belongs to is the acting party; the
/// client never names one. `POST commands` runs an officer command line (`APICommands`) in a child
/// process (`CommandRunner`); `POST exhibits` ingests an uploaded file the same way; `GET
/// exhibits/<id>/file` streams an export. Refusals are recorded within budgets: one for requests
/// without a valid officer token (a dock's token included), one per officer for its refused requests.
struct APIHandler {
    let pool: VaultPool
    let log: Log
    let clock: CustodyClock
    /// Runs command lines; nil when the service has no `custody` binary to run (tests of the library).
    let runner: CommandRunner?
    let directory: DataDirectory
    let maxUploadBytes: Int64
    let refusals: RefusalBudget
    let officerRefusals: DockRefusals
    /// Commands and uploads under way per officer: at most 2 at once.
    let officerSlots = OfficerSlots(limit: 2)

    /// The actor of requests refused before an officer was known.
    static let unauthenticated = Actor(id: Actor.unauthenticatedID, kind: .officer)
    /// The largest `POST commands` body: JSON with input files inline (specs of at most 1 MiB).
    static let maxCommandBody = 12 << 20

    func handle(_ request: HTTPRequestHead, body: HTTPBody, connection: HTTPConnectionInfo) -> HTTPResponse {
        let route = APIRoute(request)
        var officer: String?
        do {
            let id = try authenticate(request, route: route, connection: connection)
            officer = id
            switch (request.method, route) {
            case ("POST", .commands): return try command(body, officer: id)
            case ("POST", .exhibits): return try ingest(request, body: body, officer: id)
            case ("GET", .exhibitFile(let reference)):
                return try export(reference, request, officer: id, connection: connection)
            case ("GET", .bundleZip(let bundle)): return try bundleZip(bundle, officer: id, connection: connection)
            case ("GET", .report(let reference)): return try report(reference, query: request.query, officer: id)
            case (_, .other):
                throw APIRefusal(.notFound, "no such endpoint: see the README's API section")
            default:
                throw APIRefusal(.methodNotAllowed, "\(request.method.prefix(16)) is not allowed here")
            }
        } catch let refusal as APIRefusal {
            if let officer { record(refusal, of: officer, request, connection: connection) }
            return Self.answer(refusal)
        } catch let error as HTTPRequestError {
            let refusal = APIRefusal(error.status, error.message)
            if let officer { record(refusal, of: officer, request, connection: connection) }
            return Self.answer(refusal)
        } catch let error as CustodyError {
            // The use case recorded its refusal (or failure) itself.
            return Self.answer(APIRefusal(error))
        } catch {
            log.error("API request failed", ["route": route.label, "error": String(describing: error)])
            return Self.answer(APIRefusal(.internalServerError, "the request failed on the server; try again later",
                                          exit: 3))
        }
    }

    /// A command line, run as `officer` in a child process.
    private func command(_ body: HTTPBody, officer: String) throws -> HTTPResponse {
        let request = try APICommandRequest(json: body.readAll(limit: Self.maxCommandBody))
        let name = try APICommands.command(request.argv).get()
        try refuseForbiddenArguments(request.argv, files: Array(request.files.keys), command: name)
        let release = try officerSlots.take(officer)
        defer { release() }
        return try run(request.argv, officer: officer) { scratch in
            var files = [String: String]()
            for (index, (path, bytes)) in request.files.sorted(by: { $0.key < $1.key }).enumerated() {
                files[path] = try scratch.write(bytes, name: "input-\(index)")
            }
            return files
        }
    }

    /// Runs `argv` as `officer` in a scratch folder of its own, whose input files `prepare` writes
    /// (returning the client's path of each and its copy), then removes the folder. The copies' paths
    /// are given back as the client's in what the command printed.
    func run(_ argv: [String], officer: String, prepare: (APIScratch) throws -> [String: String]) throws
        -> HTTPResponse {
        guard let runner else {
            throw APIRefusal(.serviceUnavailable, "this server cannot run commands (no custody binary)", exit: 3)
        }
        let scratch = try APIScratch(directory)
        defer { scratch.remove() }
        let files = try prepare(scratch)
        let outcome = try runner.run(argv, as: officer, files: files, cwd: scratch.path)
        func restored(_ text: String) -> String {
            files.reduce(text) { $0.replacingOccurrences(of: $1.value, with: $1.key) }
        }
        return Self.json(.ok, ["exit": Int(outcome.exit), "stdout": restored(outcome.stdout),
                               "stderr": restored(outcome.stderr)])
    }

    /// Refuses (400, recorded as a refused `command` attempt) a command line that names the data
    /// directory, the acting officer or a server, or whose arguments or input files' paths hold a
    /// control character (a NUL would cut an argument short in the child: `--as\0` is `--as` there).
    func refuseForbiddenArguments(_ argv: [String], files: [String], command: String) throws {
        if let bad = APICommands.controlCharacter(in: argv + files) {
            throw APIRefusal(.badRequest, "\(String(bad.prefix(64)).escapedForTerminal) holds a control character: no "
                             + "argument or file name sent to the API may", action: APICommands.action(command))
        }
        if let bad = APICommands.forbiddenOption(in: argv) {
            throw APIRefusal(.badRequest, "\(bad.prefix(64)) cannot be given over the network: the server decides "
                             + "the data directory and, from your token, who acts", action: APICommands.action(command))
        }
    }

    /// The officer a bearer token belongs to. Missing, unknown and disabled officers' tokens, and docks'
    /// tokens, are refused and recorded (never the token), within the budget of unauthenticated requests.
    private func authenticate(_ request: HTTPRequestHead, route: APIRoute, connection: HTTPConnectionInfo) throws
        -> String {
        let given = request.headers.values(for: "Authorization")
        let header = given.count == 1 ? given[0] : ""
        // The scheme's name is case-insensitive (RFC 9110, section 11.1).
        let token = header.prefix(7).lowercased() == "bearer " ? String(header.dropFirst(7)) : nil
        if let token, let officer = try pool.with({ try $0.authenticateOfficer(token: token) }) {
            return officer.id
        }
        let reason = given.count > 1 ? "Authorization given more than once"
            : token == nil ? "no bearer token"
            : token!.hasPrefix("cdt_") ? "a dock's token was used on the officers' API"
            : "unknown token, or the token of a disabled officer"
        try refusals.admit(peer: connection.remoteHost, now: clock.uptime(), pool: pool,
                           summarize: { try recordUnrecorded($0, in: $1) }) { vault in
            try vault.refuseRecorded(Self.unauthenticated, route.action, reason: reason,
                                     details: ["method": request.method, "route": route.label,
                                               "remote": connection.remoteAddress])
        }
        throw APIRefusal(.unauthorized, given.count > 1 ? "Authorization given more than once"
                         : "an officer's personal token is needed (CUSTODY_TOKEN; `custody officer token ID` "
                         + "makes a new one)", recorded: true)
    }

    /// Records a refused request of `officer` within its budget, unless it was recorded already.
    private func record(_ refusal: APIRefusal, of officer: String, _ request: HTTPRequestHead,
                        connection: HTTPConnectionInfo) {
        guard !refusal.recorded else { return }
        do {
            try officerRefusals.budget(officer).admit(
                peer: connection.remoteHost, now: clock.uptime(), pool: pool,
                summarize: { try recordUnrecorded($0, of: officer, in: $1) }) { vault in
                try vault.refuseRecorded(.officer(officer), refusal.action ?? Self.route(request).action,
                                         reason: refusal.message,
                                         details: ["method": request.method, "route": Self.route(request).label,
                                                   "status": String(refusal.status.code),
                                                   "remote": connection.remoteAddress])
            }
        } catch {
            log.error("a refused API request could not be recorded", ["officer": officer,
                                                                     "error": String(describing: error)])
        }
    }
}
