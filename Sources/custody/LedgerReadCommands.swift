import CustodyCore
import Foundation
import Ledger
import Vault

struct LedgerLogCommand: Command {
    static let name = "ledger log"
    static let summary = "Print the chain-of-custody timeline, oldest first (all events, or one exhibit's)."
    static let usage = "ledger log [EXHIBIT] [--as ID] [--data DIR] [--json]"
    static let options: [OptionSpec] = [.actor, .data, .json]

    let args: Arguments
    let reference: String?

    init(_ args: Arguments) throws {
        guard args.positionals.count <= 1 else {
            throw CustodyError.invalidInput(field: "arguments", "unexpected argument \(args.positionals[1])")
        }
        reference = args.positionals.first
        self.args = args
    }

    func run() throws -> Int32 {
        let (exhibit, events) = try Context.openVault(args).ledgerEvents(of: reference, for: Context.acting(args))
        if args.flag("json") {
            Output.json(events.map(LedgerJSON.event))
            return 0
        }
        for e in events {
            var line = "\(e.seq)  \(e.time)  \(e.actor.kind.rawValue):\(e.actor.id)  \(e.action.rawValue)  "
                + e.outcome.rawValue
            if let x = e.exhibit { line += "  \(x)" }
            if let c = e.caseID { line += "  case \(c)" }
            if let r = e.reason { line += "  reason: \(r)" }
            if !e.details.isEmpty {
                line += "  " + e.details.sorted { $0.key < $1.key }
                    .map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            }
            print(line.escapedForTerminal)
        }
        if events.isEmpty { Output.note(exhibit.map { "no events for \($0)" } ?? "the ledger is empty") }
        return 0
    }
}

struct LedgerCheckpointCommand: OptionsOnlyCommand {
    static let name = "ledger checkpoint"
    static let summary = "Sign a checkpoint of the ledger if it grew, and print the newest (C2SP tlog-checkpoint)."
    static let usage = """
        ledger checkpoint [--as ID] [--data DIR] [--json]

        Keep copies of checkpoints outside the server: `custody ledger verify --checkpoint FILE` later
        proves that no event before it was changed, removed or reordered.
        """
    static let options: [OptionSpec] = [.actor, .data, .json]

    let args: Arguments

    func run() throws -> Int32 {
        let (stored, cp) = try Context.openVault(args).latestCheckpoint(for: Context.acting(args))
        if args.flag("json") {
            Output.json(["number": stored.number, "size": stored.size, "created_at": stored.createdAt,
                         "origin": cp.origin, "root": cp.root.hex, "note": stored.note])
        } else {
            print(stored.note, terminator: "")
        }
        return 0
    }
}

struct LedgerKeyCommand: OptionsOnlyCommand {
    static let name = "ledger key"
    static let summary = "Print the ledger's verifier key (C2SP vkey) and its Ed25519 public key as PEM."
    static let usage = """
        ledger key [--all] [--as ID] [--data DIR] [--json]

        --all: every verifier key the ledger has signed with, one a line, the current one first, then those
        replaced by `custody rotate-key ledger`, newest first, each followed by a space and the tree size of
        the last checkpoint it signed (none for a key retired by a version that did not record it): it
        verifies no larger checkpoint. As /ledger/keys serves them. With --json: origin, vkeys (the keys
        alone) and keys ({vkey, current, last_checkpoint_size}).
        """
    static let options: [OptionSpec] = [.flag("all", "every key the ledger has signed with"), .actor, .data, .json]

    let args: Arguments

    func run() throws -> Int32 {
        let (verifier, pem) = try Context.openVault(args).ledgerKey(for: Context.acting(args))
        if args.flag("all") {
            if args.flag("json") {
                let retired: [[String: Any]] = zip(verifier.retiredVkeys, verifier.retired).reversed().map {
                    ["vkey": $0, "current": false, "last_checkpoint_size": $1.lastCheckpointSize.map { $0 as Any }
                        ?? NSNull()]
                }
                Output.json(["origin": verifier.name, "vkeys": [verifier.vkey] + verifier.retiredVkeys.reversed(),
                             "keys": [["vkey": verifier.vkey, "current": true]] + retired])
            } else {
                verifier.publishedKeyLines.forEach { print($0) }
            }
            return 0
        }
        if args.flag("json") {
            Output.json(["origin": verifier.name, "key_id": Hex.encode(verifier.keyID), "vkey": verifier.vkey,
                         "pem": pem])
        } else {
            print(verifier.vkey)
            print(pem, terminator: pem.hasSuffix("\n") ? "" : "\n")
        }
        return 0
    }
}

/// JSON shapes shared by the ledger commands.
enum LedgerJSON {
    static func event(_ e: CustodyEvent) -> [String: Any] { e.jsonObject }

    /// Reads a checkpoint or proof file given on the command line, with a size limit.
    /// Reads at most the limit and one byte more, whatever the path is (a symlink to a huge file, a pipe).
    static func readFile(_ path: String, what: String) throws -> String {
        let limit = NoteVerifier.maxNoteBytes * 4
        guard let handle = FileHandle(forReadingAtPath: try Context.inputFile(path, field: "arguments")) else {
            throw CustodyError.invalidInput(field: "arguments", "cannot read \(what) \(path)")
        }
        defer { try? handle.close() }
        var bytes = Data()
        while bytes.count <= limit, let data = try? handle.read(upToCount: limit + 1 - bytes.count), !data.isEmpty {
            bytes += data
        }
        guard bytes.count <= limit else { throw CustodyError.invalidInput(field: "arguments",
            "\(path) is too large for \(what)") }
        guard let text = String(data: bytes, encoding: .utf8) else {
            throw CustodyError.invalidInput(field: "arguments", "\(what) \(path) is not UTF-8 text")
        }
        return text
    }
}
