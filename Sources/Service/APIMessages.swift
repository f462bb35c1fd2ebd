import CustodyCore
import Foundation
import HTTPServer
import Ledger
import POSIX
import Vault
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A request the API refuses: its status, the message the client shows, the exit code the CLI gives
/// for it (2 for what the caller can fix, as locally), and the ledger action it is recorded as.
struct APIRefusal: Error {
    let status: HTTPStatus
    let message: String
    let exit: Int32
    let action: CustodyEvent.Action?
    /// Already in the ledger (by the use case, or the authentication).
    let recorded: Bool

    init(_ status: HTTPStatus, _ message: String, exit: Int32 = 2, action: CustodyEvent.Action? = nil,
         recorded: Bool = false) {
        self.status = status
        self.message = message
        self.exit = exit
        self.action = action
        self.recorded = recorded
    }

    /// A domain error of a use case (which recorded it): the status that says what it is, and the
    /// CLI's exit code for it.
    init(_ error: CustodyError) {
        let status: HTTPStatus
        switch error.kind {
        case .invalidInput: status = .badRequest
        case .notFound: status = .notFound
        case .refused: status = .forbidden
        case .conflict: status = .conflict
        case .diskFull: status = HTTPStatus(code: 507)
        case .integrity, .missing, .failure: status = .internalServerError
        }
        let exit: Int32 = error.isCallersFault ? 2 : error.kind == .integrity ? 1 : 3
        self.init(status, error.description, exit: exit, recorded: true)
    }
}

/// The endpoints under `/api/v1/`.
enum APIRoute: Equatable {
    case commands, exhibits, exhibitFile(String), bundleZip(String), report(String), other

    init(_ request: HTTPRequestHead) {
        guard request.path.hasPrefix("/api/v1/") else {
            self = .other
            return
        }
        let parts = request.path.dropFirst("/api/v1/".count).split(separator: "/", omittingEmptySubsequences: false)
        switch (parts.count, parts.first) {
        case (1, "commands"): self = .commands
        case (1, "exhibits"): self = .exhibits
        case (3, "exhibits") where parts[2] == "file":
            self = HTTPRequestHead.percentDecode(parts[1]).map { .exhibitFile($0) } ?? .other
        case (3, "bundles") where parts[2] == "zip":
            self = HTTPRequestHead.percentDecode(parts[1]).map { .bundleZip($0) } ?? .other
        case (2, "reports"): self = HTTPRequestHead.percentDecode(parts[1]).map { .report($0) } ?? .other
        default: self = .other
        }
    }

    /// The label in logs and refusals' details (never the exhibit named).
    var label: String {
        switch self {
        case .commands: return "commands"
        case .exhibits: return "exhibits"
        case .exhibitFile: return "exhibit-file"
        case .bundleZip: return "bundle-zip"
        case .report: return "reports"
        case .other: return "other"
        }
    }

    /// The action a refused request here is recorded as, before its command is known.
    var action: CustodyEvent.Action {
        switch self {
        case .exhibits: return .ingest
        case .exhibitFile: return .export
        case .bundleZip: return .download
        default: return .view
        }
    }
}

/// The body of `POST /api/v1/commands`: `{"argv": [...], "files": {"PATH": "<base64>"}}`, where each
/// input file the command line names (a spec, a checkpoint) is sent under the path it names.
struct APICommandRequest {
    let argv: [String]
    let files: [String: [UInt8]]

    init(json bytes: [UInt8]) throws {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw APIRefusal(.badRequest, "the body must be a JSON object: {\"argv\": [...], \"files\": {...}}")
        }
        if let unknown = object.keys.sorted().first(where: { $0 != "argv" && $0 != "files" }) {
            throw APIRefusal(.badRequest, "unknown field \(unknown.prefix(64)) (only argv and files)")
        }
        argv = try Self.argv(object["argv"])
        let given = object["files"].map { $0 as? [String: Any] } ?? [:]
        guard let given else { throw APIRefusal(.badRequest, "files must be an object of path: base64 content") }
        guard given.count <= APICommands.maxFiles else {
            throw APIRefusal(.contentTooLarge, "at most \(APICommands.maxFiles) files with one command")
        }
        var files = [String: [UInt8]]()
        for (path, value) in given {
            guard !path.isEmpty, path.utf8.count <= 4096, let text = value as? String,
                  let data = Data(base64Encoded: text) else {
                throw APIRefusal(.badRequest, "files: \(path.prefix(64)) must be a path of at most 4096 bytes "
                                 + "with its content in base64")
            }
            files[path] = [UInt8](data)
        }
        self.files = files
    }

    /// A list of 1-256 strings of at most 64 KiB each.
    static func argv(_ value: Any?) throws -> [String] {
        guard let argv = value as? [String], !argv.isEmpty else {
            throw APIRefusal(.badRequest, "argv must be a non-empty list of strings: the command line after custody")
        }
        guard argv.count <= APICommands.maxArguments,
              argv.allSatisfy({ $0.utf8.count <= APICommands.maxArgumentBytes }) else {
            throw APIRefusal(.contentTooLarge, "argv: at most \(APICommands.maxArguments) arguments of "
                             + "\(APICommands.maxArgumentBytes) bytes each")
        }
        return argv
    }
}

/// The private folder of one API request (input files, an upload), in the data directory's `tmp/` under
/// a scratch name (`Scratch.name`), so what a killed server left is removed at the next start.
struct APIScratch {
    let path: String

    init(_ directory: DataDirectory) throws {
        path = directory.scratch + "/" + Scratch.name("-api")
        try FS.mkdir(path, 0o700)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `bytes` to a new file `name` in the folder and returns its path.
    func write(_ bytes: [UInt8], name: String) throws -> String {
        let file = path + "/" + name
        let fd = try FS.open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        defer { close(fd) }
        try bytes.withUnsafeBytes { try FS.writeAll(fd, $0, path: file) }
        return file
    }
}

extension APIHandler {
    /// A JSON answer, never cached.
    static func json(_ status: HTTPStatus, _ object: [String: Any]) -> HTTPResponse {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return HTTPResponse(status: status, headers: ["Content-Type": "application/json", "Cache-Control": "no-store"],
                            data: data + Data("\n".utf8))
    }

    /// A refusal as JSON: `{"error": "...", "exit": N}`, what the CLI prints with `--json` when it fails.
    static func answer(_ refusal: APIRefusal) -> HTTPResponse {
        var response = json(refusal.status, ["error": refusal.message, "exit": Int(refusal.exit)])
        if refusal.status == .unauthorized {
            response.headers.add(name: "WWW-Authenticate", value: "Bearer realm=\"custody\"")
        }
        if refusal.status == .serviceUnavailable { response.headers.add(name: "Retry-After", value: "5") }
        return response
    }

    static func route(_ request: HTTPRequestHead) -> APIRoute { APIRoute(request) }
}
