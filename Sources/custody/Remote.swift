import CustodyCore
import Foundation

/// The CLI over the network: with `--server URL` (or `$CUSTODY_SERVER`) an officer command runs on that
/// custody server through its API (`/api/v1/`), as the officer whose personal token `$CUSTODY_TOKEN`
/// holds: the server, not this machine, decides who acts. It prints what the command printed there and
/// exits with its exit code. Input files the command line names (a spec, a checkpoint) are sent with it;
/// `ingest` uploads each file and `export` downloads the bytes into the local file, both streamed;
/// `report` reads the report the server makes.
enum Remote {
    /// Commands that always run here: on a data directory (`init`, `serve`, `worker`, and the service
    /// account's `doctor`, `backup`, `restore-backup`), or on a bundle
    /// alone (`bundle verify`, whose own `--server` names the ledger to check the bundle against).
    static let local: Set<String> = ["init", "serve", "worker", "bundle verify", "doctor", "backup", "restore-backup"]

    /// The server `rest` (a command's arguments) names with `--server URL` (taken out of `rest`), else
    /// `$CUSTODY_SERVER`; nil when the command runs locally, as a command the API runs always does
    /// (there `--server` is an unknown option).
    static func server(for command: any Command.Type, _ rest: [String]) -> (url: String, rest: [String])? {
        guard !local.contains(command.name), !Context.runsForAPI else { return nil }
        var rest = rest
        var url: String?
        var i = 0
        while i < rest.count && rest[i] != "--" {
            if rest[i] == "--server" && i + 1 < rest.count {
                url = rest[i + 1]
                rest.removeSubrange(i...i + 1)
            } else if rest[i].hasPrefix("--server=") {
                url = String(rest[i].dropFirst("--server=".count))
                rest.remove(at: i)
            } else {
                i += 1
            }
        }
        guard let url = url ?? Context.environment["CUSTODY_SERVER"], !url.isEmpty else { return nil }
        return (url, rest)
    }

    /// Runs `command` with `rest` on the server at `url`; returns the exit code.
    static func main(_ command: any Command.Type, _ rest: [String], server url: String) -> Int32 {
        var json = command.options.contains { $0.name == "json" } && rest.prefix { $0 != "--" }.contains("--json")
        do {
            // A command line that does not parse is sent as it is: the server refuses (and records) it.
            let args = try? Arguments(rest, accepting: command.options)
            if let args {
                json = args.flag("json")
                if args.wantsHelp {
                    print(command.help, terminator: "")
                    return 0
                }
            }
            if let given = ["as", "data"].first(where: { name in
                args?.value(name) != nil || rest.contains { $0 == "--\(name)" || $0.hasPrefix("--\(name)=") }
            }) {
                throw CustodyError.invalidInput(field: "--\(given)", "--\(given) has no meaning with --server: the "
                                                + "server acts on its own data directory, as the officer your token names")
            }
            let client = { try APIClient(server: url, token: Context.environment["CUSTODY_TOKEN"] ?? "") }
            switch command.name {
            case ExportCommand.name:
                return try RemoteExport(ExportCommand(args ?? Arguments(rest, accepting: command.options)))
                    .run(client(), json: json)
            case BundleDownloadCommand.name:
                return try BundleDownloadCommand(args ?? Arguments(rest, accepting: command.options))
                    .remote(client(), json: json)
            case ReportCommand.name:
                return try RemoteReport(ReportCommand(args ?? Arguments(rest, accepting: command.options)))
                    .run(client(), json: json)
            case IngestCommand.name:
                return try RemoteIngest(IngestCommand(args ?? Arguments(rest, accepting: command.options)))
                    .run(client, json: json)
            default:
                let files = try args.map { try inputFiles(command.name, $0) } ?? [:]
                let answer = try client().post("/api/v1/commands",
                                                json: ["argv": command.name.split(separator: " ").map(String.init) + rest,
                                                       "files": files.mapValues { Data($0).base64EncodedString() }])
                return try printed(answer, json: json)
            }
        } catch let e as CustodyError {
            Commands.fail(e.shown, exit: e.exitCode, json: json)
            return e.exitCode
        } catch {
            Commands.fail(String(describing: error), exit: 3, json: json)
            return 3
        }
    }

    /// The input files `args` names, read here as the command reads them locally (same limits and
    /// messages), by the path given: the server's copy of the command reads them under that path.
    static func inputFiles(_ command: String, _ args: Arguments) throws -> [String: [UInt8]] {
        var files = [String: [UInt8]]()
        switch command {
        case RedactCommand.name:
            if let path = args.value("spec"), !path.isEmpty { files[path] = try SpecFile.read(path, option: "--spec") }
        case BundleCreateCommand.name:
            for given in args.all("exhibit") {
                guard let colon = given.firstIndex(of: ":") else { continue }
                let path = String(given[given.index(after: colon)...])
                files[path] = try SpecFile.read(path, option: "--exhibit")
            }
        case LedgerVerifyCommand.name:
            for path in args.all("checkpoint") {
                files[path] = Array(try LedgerJSON.readFile(path, what: "checkpoint").utf8)
            }
        case LedgerConsistencyCommand.name:
            if let path = args.positionals.first {
                files[path] = Array(try LedgerJSON.readFile(path, what: "checkpoint").utf8)
            }
        default:
            break
        }
        return files
    }

    /// Prints what a command printed on the server and returns its exit code; an answer refusing the
    /// request is printed as a local failure is (with `--json`, `{"error": ..., "exit": N}` on stdout).
    /// What the server sends is not trusted to be harmless on a terminal (`shown`).
    static func printed(_ answer: APIClient.Answer, json: Bool) throws -> Int32 {
        let object = (try? JSONSerialization.jsonObject(with: answer.body)) as? [String: Any]
        if answer.status == 200, let exit = object?["exit"] as? Int, let out = object?["stdout"] as? String,
           let err = object?["stderr"] as? String {
            print(shown(out, json: json), terminator: "")
            Output.writeErr(err.escapedForTerminalKeepingLines)
            return Int32(exit)
        }
        if let message = object?["error"] as? String, let exit = object?["exit"] as? Int {
            Commands.fail(message, exit: Int32(exit), json: json)
            return Int32(exit)
        }
        throw CustodyError.failure("the server answered \(answer.status) with something the custody API does not "
                                   + "send: is --server a custody server?")
    }

    /// A command's output from the server as this terminal shows it: control and bidirectional
    /// formatting characters escaped, newlines and tabs kept (`escapedForTerminalKeepingLines`). With
    /// `--json`, output that is JSON stays JSON of the same value: such characters are written as
    /// `\uXXXX` escapes (JSON has C0 controls escaped already; DEL, C1 and bidi characters may be raw).
    static func shown(_ text: String, json: Bool) -> String {
        guard text.altersDisplay else { return text }
        guard json, (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed)) != nil
        else { return text.escapedForTerminalKeepingLines }
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.altersDisplay && !["\n", "\t", "\r"].contains(scalar) {
                out += String(format: "\\u%04x", scalar.value)  // every such character is below U+10000
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
