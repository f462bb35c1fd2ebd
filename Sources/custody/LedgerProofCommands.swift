import CustodyCore
import Foundation
import Ledger
import Vault

struct LedgerProofCommand: Command {
    static let name = "ledger proof"
    static let summary = "Print an inclusion proof for event SEQ in C2SP tlog-proof format (event bytes in `extra`)."
    static let usage = """
        ledger proof SEQ [--size N] [--as ID] [--data DIR] [--json]

        The proof leads to the newest checkpoint, or to the stored checkpoint of exactly N events.
        """
    static let options: [OptionSpec] = [
        .option("size", "N", "prove against the stored checkpoint of this tree size"), .actor, .data, .json,
    ]

    let args: Arguments
    let seq: UInt64

    init(_ args: Arguments) throws {
        let text = try args.positionals(exactly: ["SEQ"])[0]
        guard let seq = UInt64(text) else {
            throw CustodyError.invalidInput(field: "arguments", "SEQ must be an event sequence number, not \(text)")
        }
        self.seq = seq
        self.args = args
    }

    func run() throws -> Int32 {
        let (event, checkpoint, hashes, proof) = try Context.openVault(args)
            .inclusionProof(seq: seq, size: try args.int("size", in: 1...Int.max), for: Context.acting(args))
        if args.flag("json") {
            Output.json(["seq": seq, "size": checkpoint.size, "leaf_hash": Merkle.leafHash(event.leafBytes).hex,
                         "hashes": hashes.map(\.hex), "event": LedgerJSON.event(event), "proof": proof.text])
        } else {
            print(proof.text, terminator: "")
        }
        return 0
    }
}

struct LedgerConsistencyCommand: Command {
    static let name = "ledger consistency"
    static let summary = "Prove that the ledger now extends an older checkpoint kept elsewhere."
    static let usage = """
        ledger consistency OLD_CHECKPOINT_FILE [--as ID] [--data DIR] [--json]

        Checks the old checkpoint's signature, then prints a consistency proof from its tree size to
        the newest checkpoint (format: custody/consistency-proof@v1, see the README). Exit 1 when the
        ledger does not extend the old checkpoint.
        """
    static let options: [OptionSpec] = [.actor, .data, .json]

    let args: Arguments
    let file: String

    init(_ args: Arguments) throws {
        file = try args.positionals(exactly: ["OLD_CHECKPOINT_FILE"])[0]
        self.args = args
    }

    func run() throws -> Int32 {
        let (old, latest, hashes, proof) = try Context.openVault(args)
            .consistencyProof(from: try LedgerJSON.readFile(file, what: "checkpoint"), label: file,
                              for: Context.acting(args))
        if args.flag("json") {
            Output.json(["old_size": old.size, "new_size": latest.size, "hashes": hashes.map(\.hex),
                         "checkpoint": latest.note, "proof": proof.text])
        } else {
            print(proof.text, terminator: "")
        }
        return 0
    }
}
