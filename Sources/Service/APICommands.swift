import CustodyCore
import Foundation
import Ledger

/// Which command lines the API runs (`POST /api/v1/commands`): officer commands only, each with the
/// ledger action a refused request for it is recorded as. The command runs in a child `custody`
/// process, which parses it as the local CLI does; this list only keeps out what must not run there.
public enum APICommands {
    /// Officer commands, by their words, each with the action the CLI records its refused command lines
    /// as (`refusalAction`; the role table's tests check the two agree, `RoleTableAPITests`).
    static let allowed: [String: CustodyEvent.Action] = [
        "list": .view, "show": .view, "redact": .redact, "verify": .verify,
        "ledger log": .view, "ledger checkpoint": .view, "ledger proof": .view, "ledger consistency": .view,
        "ledger key": .view, "ledger verify": .view,
        "device add": .device, "device list": .view, "device revoke": .device,
        "worker add": .device, "worker list": .view, "worker revoke": .device,
        "case create": .link, "case add": .link, "case list": .view, "case show": .view,
        "case close": .retention, "case reopen": .retention,
        "bundle create": .share, "bundle list": .view, "bundle show": .view, "bundle revoke": .share,
        "officer add": .officer, "officer list": .view, "officer disable": .officer, "officer role": .officer,
        "officer token": .officer,
        "category add": .retention, "category list": .view, "exhibit categorise": .retention,
        "hold add": .hold, "hold remove": .hold, "hold list": .view, "retention run": .retention,
        "restore": .restore, "rotate-key": .key,
    ]

    /// Commands that run on the API through their own endpoint, and why others never do.
    static let elsewhere: [String: String] = [
        "ingest": "ingest uploads each file: POST /api/v1/exhibits (custody ingest --server does)",
        "export": "export downloads the bytes: GET /api/v1/exhibits/EXHIBIT/file (custody export --server does)",
        "bundle download": "a bundle's ZIP is downloaded: GET /api/v1/bundles/ID/zip (custody bundle download does)",
        "report": "a report is read through GET /api/v1/reports/EXHIBIT|CASE (custody report --server does)",
        "init": "init runs on the server's data directory only, without --server",
        "serve": "serve runs on the server only", "worker": "worker runs on the server only",
        "bundle verify": "bundle verify needs no server: run it where the ZIP is",
        "doctor": "doctor checks the server's own files: run it there, as the service account",
        "backup": "backup writes a folder on the server: run it there, as the service account",
        "restore-backup": "restore-backup makes a data directory: run it on the server",
        "store": "store commands use the server's own store and its credentials: run them on the server",
    ]

    /// Options no client may give: the server decides the data directory and who acts.
    static let forbiddenOptions = ["--data", "--as", "--server"]

    /// The command `argv` names (its words), or a refusal saying why it does not run here.
    static func command(_ argv: [String]) -> Result<String, APIRefusal> {
        let two = argv.prefix(2).joined(separator: " ")
        let one = argv.first ?? ""
        for name in [two, one] {
            if let why = elsewhere[name] { return .failure(APIRefusal(.badRequest, why, action: action(name))) }
            if allowed[name] != nil { return .success(name) }
        }
        return .failure(APIRefusal(.badRequest, argv.isEmpty ? "argv names no command"
                                   : "\(one.prefix(64)) is not a command the API runs (officer commands only)"))
    }

    /// The action a refused request for command `name` is recorded as (`view` when none fits).
    static func action(_ name: String) -> CustodyEvent.Action {
        allowed[name] ?? ["ingest": .ingest, "export": .export, "bundle download": .download][name] ?? .view
    }

    /// A token that gives `--data`, `--as` or `--server` (anywhere: also as another option's value, which
    /// costs nothing and leaves no doubt), or nil.
    static func forbiddenOption(in argv: [String]) -> String? {
        argv.first { token in forbiddenOptions.contains { token == $0 || token.hasPrefix($0 + "=") } }
    }

    /// The first of `texts` (arguments, paths of files sent) holding a control character, or nil. The
    /// child's arguments are C strings: a NUL ends one early, so `--as\0` would pass `forbiddenOption`
    /// and reach the child as `--as`; the other controls have no place in a command line either.
    static func controlCharacter(in texts: [String]) -> String? {
        texts.first { $0.unicodeScalars.contains(where: \.isControlCharacter) }
    }

    /// Most arguments, bytes of one argument, and input files of one request.
    static let maxArguments = 256
    static let maxArgumentBytes = 64 * 1024
    static let maxFiles = 16
}
