import CustodyCore
import Foundation
import Ledger

/// One `custody` subcommand: it declares its options, validates them in `init`, then runs.
protocol Command {
    /// Words after `custody`, e.g. "ingest" or "ledger proof".
    static var name: String { get }
    static var summary: String { get }
    /// The synopsis and any notes shown by `--help`.
    static var usage: String { get }
    static var options: [OptionSpec] { get }
    /// When set, a command line refused before the command runs (bad options, a file name that is not
    /// UTF-8) is an attempt recorded in the ledger as a refused event of this action.
    static var refusalAction: CustodyEvent.Action? { get }
    init(_ args: Arguments) throws
    /// Returns the exit code: 0 success, 1 integrity failure found, 2 usage or input error, 3 other failure.
    func run() throws -> Int32
}

/// A command with options only: its `init` refuses positional arguments and keeps the rest.
protocol OptionsOnlyCommand: Command {
    var args: Arguments { get }
    init(args: Arguments)
}

extension OptionsOnlyCommand {
    init(_ args: Arguments) throws {
        _ = try args.positionals(exactly: [])
        self.init(args: args)
    }
}

extension Command {
    static var refusalAction: CustodyEvent.Action? { nil }

    static var help: String {
        let rows = options.map { o in ["", "--\(o.name)\(o.value.map { " \($0)" } ?? "")", o.help] }
            + [["", "--help", "show this help"]]
        return "\(summary)\n\nUsage: custody \(usage)\n\nOptions:\n" + Output.table(rows)
    }
}

/// Every command, in the order `custody --help` lists them.
enum Commands {
    nonisolated(unsafe) static let all: [any Command.Type] = [
        InitCommand.self, IngestCommand.self, ListCommand.self, ShowCommand.self, ExportCommand.self,
        RedactCommand.self, VerifyCommand.self, LedgerLogCommand.self, LedgerCheckpointCommand.self,
        LedgerProofCommand.self, LedgerConsistencyCommand.self, LedgerKeyCommand.self, LedgerVerifyCommand.self,
        DeviceAddCommand.self, DeviceListCommand.self, DeviceRevokeCommand.self, CaseCreateCommand.self,
        CaseAddCommand.self, CaseListCommand.self, CaseShowCommand.self, BundleCreateCommand.self,
        BundleListCommand.self, BundleShowCommand.self, BundleRevokeCommand.self, BundleDownloadCommand.self,
        BundleVerifyCommand.self, OfficerAddCommand.self, OfficerListCommand.self, OfficerDisableCommand.self,
        OfficerRoleCommand.self, OfficerTokenCommand.self, CaseCloseCommand.self, CaseReopenCommand.self,
        CategoryAddCommand.self, CategoryListCommand.self, ExhibitCategoriseCommand.self, HoldAddCommand.self,
        HoldRemoveCommand.self, HoldListCommand.self, RetentionRunCommand.self, RestoreCommand.self,
        ReportCommand.self, ServeCommand.self, WorkerCommand.self, WorkerAddCommand.self, WorkerListCommand.self,
        WorkerRevokeCommand.self, DoctorCommand.self,
        BackupCommand.self, RestoreBackupCommand.self, RotateKeyCommand.self, StoreShowCommand.self,
        StoreSyncLocksCommand.self, StoreGCCommand.self, StoreMigrateCommand.self,
    ]

    static var overview: String {
        var text = """
            custody: body-worn-camera evidence vault, chain-of-custody ledger and court transfer.

            Usage: custody <command> [options]   (custody <command> --help for details)
                   custody --version [--json]   (this version and the libraries it runs with)

            Commands:

            """
        text += Output.table(all.map { ["", $0.name, $0.summary] })
        text += "\nWith --server URL (or $CUSTODY_SERVER) and your token in $CUSTODY_TOKEN, a command other than init,\n"
            + "serve, worker and bundle verify runs on that custody server, as the officer the token names.\n"
        text += "\nExit codes: 0 success, 1 integrity failure found, 2 usage or input error, 3 other failure.\n"
        return text
    }

    /// Finds the command whose (possibly multi-word) name the arguments start with; longest match wins.
    static func match(_ argv: [String]) -> (any Command.Type, [String])? {
        var best: (any Command.Type, Int)?
        for c in all {
            let words = c.name.split(separator: " ").map(String.init)
            if argv.count >= words.count && Array(argv.prefix(words.count)) == words && words.count > (best?.1 ?? 0) {
                best = (c, words.count)
            }
        }
        return best.map { ($0.0, Array(argv.dropFirst($0.1))) }
    }

    /// Runs the command line and returns the exit code. `notUTF8` is the position (1-based) of the first
    /// argument that is not valid UTF-8, if any: Swift has replaced its bad bytes, so it would name
    /// another file.
    static func main(_ argv: [String], notUTF8: Int? = nil) -> Int32 {
        if argv.isEmpty || argv == ["--help"] || argv == ["-h"] || argv == ["help"] {
            print(overview, terminator: "")
            return argv.isEmpty ? 2 : 0
        }
        if argv.first == "--version" { return VersionCommand.main(Array(argv.dropFirst())) }
        guard let (command, rest) = match(argv) else { return unmatched(argv, notUTF8: notUTF8) }
        if notUTF8 == nil, let (server, rest) = Remote.server(for: command, rest) {
            return Remote.main(command, rest, server: server)
        }
        // Before the arguments parse, a guess (`--json` before any `--`); once they do, the flag itself.
        var json = command.options.contains { $0.name == "json" } && rest.prefix { $0 != "--" }.contains("--json")
        do {
            let args: Arguments
            do {
                args = try Arguments(rest, accepting: command.options)
            } catch let e as CustodyError {
                Context.recordRefusal(e, of: command, args: Arguments(salvaging: rest))
                throw e
            }
            json = args.flag("json")
            if args.wantsHelp {
                print(command.help, terminator: "")
                return 0
            }
            let instance: any Command
            do {
                if let notUTF8 { throw notUTF8Error(notUTF8) }
                try Context.refuseOverrides(args)
                instance = try command.init(args)
            } catch let e as CustodyError {
                Context.recordRefusal(e, of: command, args: args)
                throw e
            }
            let status = try instance.run()
            // The work is done and recorded: a checkpoint that cannot be signed now is said, but does
            // not turn a stored exhibit into a failure (the next checkpoint covers these events).
            do { try Context.checkpointOpenedVaults() } catch {
                Output.error("the ledger checkpoint could not be signed: \(error); `custody ledger checkpoint` "
                             + "signs one once that is fixed")
            }
            return status
        } catch let e as CustodyError {
            // The refusal or failure may itself have been logged: checkpoint it too.
            do { try Context.checkpointOpenedVaults() } catch { Output.error("\(error)") }
            fail(e.shown, exit: e.exitCode, json: json)
            if e.field != nil && e.message.hasPrefix("unknown option") || e.message.hasPrefix("missing") {
                Output.note("see `custody \(command.name) --help`")
            }
            return e.exitCode
        } catch {
            do { try Context.checkpointOpenedVaults() } catch { Output.error("\(error)") }
            fail(String(describing: error), exit: 3, json: json)
            return 3
        }
    }

    /// An error: as text on stderr, and with `--json` also as `{"error": ..., "exit": N}` on stdout, so a
    /// script reading stdout learns that and why the command failed.
    static func fail(_ message: String, exit: Int32, json: Bool) {
        Output.error(message)
        if json { Output.json(["error": message, "exit": exit]) }
    }

    static func notUTF8Error(_ position: Int) -> CustodyError {
        .invalidInput(field: "argument \(position)",
                      "argument \(position) is not valid UTF-8 (a file name from a card written in another encoding?): "
               + "rename the file and try again")
    }

    /// A command line that names no command: a group's help, or an error.
    private static func unmatched(_ argv: [String], notUTF8: Int?) -> Int32 {
        let group = all.filter { $0.name.hasPrefix(argv[0] + " ") }
        if !group.isEmpty && argv.count == 2 && ["--help", "-h"].contains(argv[1]) {
            // `custody ledger --help`: the group's commands, each with its summary.
            print("Commands of custody \(argv[0]) (custody \(argv[0]) <command> --help for details):\n")
            print(Output.table(group.map { ["", $0.name, $0.summary] }), terminator: "")
            return 0
        }
        if let notUTF8 {
            Output.error(notUTF8Error(notUTF8).message)
        } else if !group.isEmpty {
            Output.error("\(argv.joined(separator: " ")) is not a command; try one of: "
                         + group.map { "custody \($0.name)" }.joined(separator: ", "))
        } else {
            Output.error("unknown command \(argv[0]); `custody --help` lists the commands")
        }
        return 2
    }
}
