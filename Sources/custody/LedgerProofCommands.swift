import CustodyCore
import Foundation
import Ledger
import Vault

struct LedgerProofCommand: Command {
    static let name = "ledger proof"
    static let summary = "Print an inclusion proof for event SEQ in C2SP tlog-proof format (event bytes in `extra`)."
    static let usage = """
        ledger proof SEQ [--size N] [--data DIR] [--json]

        The proof leads to the newest checkpoint, or to the stored checkpoint of exactly N events.
        """
    static let options: [OptionSpec] = [
        .option("size", "N", "prove against the stored checkpoint of this tree size"), .data, .json,
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
        let vault = try Context.openVault(args)
        try vault.checkpoint()
        let checkpoint: StoredCheckpoint
        if let size = try args.int("size", in: 1...Int.max) {
            guard let found = try vault.events.checkpoints().first(where: { $0.size == UInt64(size) }) else {
                let sizes = try vault.events.checkpoints().map { String($0.size) }.suffix(10).joined(separator: ", ")
                throw CustodyError.invalidInput(field: "arguments", "no checkpoint has size \(size); recent checkpoint sizes: \(sizes)")
            }
            checkpoint = found
        } else {
            guard let latest = try vault.events.latestCheckpoint() else {
                throw CustodyError.invalidInput(field: "arguments", "the ledger is empty")
            }
            checkpoint = latest
        }
        guard seq < checkpoint.size, let event = try vault.events.event(seq: Int64(seq)) else {
            throw CustodyError.invalidInput(field: "arguments", "event \(seq) is not in the checkpoint of size \(checkpoint.size)")
        }
        let hashes = try vault.events.inclusionProof(index: seq, size: checkpoint.size)
        let proof = InclusionProof(leaf: event.leafBytes, index: seq, hashes: hashes.map(\.bytes),
                                   checkpoint: checkpoint.note)
        _ = try proof.verify(verifier: vault.noteVerifier())  // never hand out a proof that does not verify
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
        ledger consistency OLD_CHECKPOINT_FILE [--data DIR] [--json]

        Checks the old checkpoint's signature, then prints a consistency proof from its tree size to
        the newest checkpoint (format: custody/consistency-proof@v1, see the README). Exit 1 when the
        ledger does not extend the old checkpoint.
        """
    static let options: [OptionSpec] = [.data, .json]

    let args: Arguments
    let file: String

    init(_ args: Arguments) throws {
        file = try args.positionals(exactly: ["OLD_CHECKPOINT_FILE"])[0]
        self.args = args
    }

    func run() throws -> Int32 {
        let vault = try Context.openVault(args)
        let verifier = try vault.noteVerifier()
        let old = try Checkpoint.open(try LedgerJSON.readFile(file, what: "checkpoint"), verifier: verifier)
        try vault.checkpoint()
        guard let latest = try vault.events.latestCheckpoint() else { throw CustodyError.invalidInput(field: "arguments", "the ledger is empty") }
        guard old.size <= latest.size else {
            throw CustodyError.integrity("\(file) covers \(old.size) events but the ledger has only \(latest.size): "
                                         + "events were deleted")
        }
        guard try vault.events.root(size: old.size) == old.root else {
            throw CustodyError.integrity("the ledger's first \(old.size) events do not match \(file): "
                                         + "the log was changed or rewritten after that checkpoint")
        }
        let hashes = try vault.events.consistencyProof(oldSize: old.size, newSize: latest.size)
        let proof = ConsistencyProof(oldSize: old.size, newSize: latest.size, hashes: hashes.map(\.bytes),
                                     checkpoint: latest.note)
        _ = try proof.verify(old: old, verifier: verifier)
        if args.flag("json") {
            Output.json(["old_size": old.size, "new_size": latest.size, "hashes": hashes.map(\.hex),
                         "checkpoint": latest.note, "proof": proof.text])
        } else {
            print(proof.text, terminator: "")
        }
        return 0
    }
}
