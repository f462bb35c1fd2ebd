import CustodyCore
import Foundation

/// One `custody` subcommand: it declares its options, validates them in `init`, then runs.
protocol Command {
    /// Words after `custody`, e.g. "ingest" or "ledger proof".
    static var name: String { get }
    static var summary: String { get }
    /// The synopsis and any notes shown by `--help`.
    static var usage: String { get }
    static var options: [OptionSpec] { get }
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
    static var help: String {
        var text = "\(summary)\n\nUsage: custody \(usage)\n\nOptions:\n"
        let rows = options.map { o in ("--\(o.name)\(o.value.map { " \($0)" } ?? "")", o.help) }
            + [("--help", "show this help")]
        let width = rows.map(\.0.count).max() ?? 0
        for (left, right) in rows {
            text += "  \(left.padding(toLength: width, withPad: " ", startingAt: 0))  \(right)\n"
        }
        return text
    }
}

/// Every command, in the order `custody --help` lists them.
enum Commands {
    nonisolated(unsafe) static let all: [any Command.Type] = [
        InitCommand.self, IngestCommand.self, ListCommand.self, ShowCommand.self, ExportCommand.self,
        RedactCommand.self, VerifyCommand.self, LedgerLogCommand.self, LedgerCheckpointCommand.self,
        LedgerProofCommand.self, LedgerConsistencyCommand.self, LedgerKeyCommand.self, LedgerVerifyCommand.self,
        DeviceAddCommand.self, DeviceListCommand.self, DeviceRevokeCommand.self, ServeCommand.self,
    ]

    static var overview: String {
        var text = """
            custody: body-worn-camera evidence vault, chain-of-custody ledger and court transfer.

            Usage: custody <command> [options]   (custody <command> --help for details)

            Commands:

            """
        let width = all.map { $0.name.count }.max() ?? 0
        for c in all { text += "  \(c.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(c.summary)\n" }
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

    /// Runs the command line and returns the exit code.
    static func main(_ argv: [String]) -> Int32 {
        if argv.isEmpty || argv == ["--help"] || argv == ["-h"] || argv == ["help"] {
            print(overview, terminator: "")
            return argv.isEmpty ? 2 : 0
        }
        guard let (command, rest) = match(argv) else {
            let group = all.filter { $0.name.hasPrefix(argv[0] + " ") }
            if !group.isEmpty && argv.count == 2 && ["--help", "-h"].contains(argv[1]) {
                // `custody ledger --help`: the group's commands, each with its summary.
                let width = group.map { $0.name.count }.max() ?? 0
                print("Commands of custody \(argv[0]) (custody \(argv[0]) <command> --help for details):\n")
                for c in group {
                    print("  \(c.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(c.summary)")
                }
                return 0
            }
            if !group.isEmpty {
                Output.error("\(argv.joined(separator: " ")) is not a command; try one of: "
                             + group.map { "custody \($0.name)" }.joined(separator: ", "))
            } else {
                Output.error("unknown command \(argv[0]); `custody --help` lists the commands")
            }
            return 2
        }
        do {
            let args = try Arguments(rest, accepting: command.options)
            if args.wantsHelp {
                print(command.help, terminator: "")
                return 0
            }
            let status = try command.init(args).run()
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
            Output.error(e.description)
            if e.kind == .usage && e.message.hasPrefix("unknown option") || e.message.hasPrefix("missing") {
                Output.note("see `custody \(command.name) --help`")
            }
            return e.exitCode
        } catch {
            do { try Context.checkpointOpenedVaults() } catch { Output.error("\(error)") }
            Output.error(String(describing: error))
            return 3
        }
    }
}
