import CustodyCore
import Ledger
import Vault

struct LedgerVerifyCommand: OptionsOnlyCommand {
    static let name = "ledger verify"
    static let summary = "Recompute every leaf, the tree and every checkpoint; exit 1 naming the first mismatch."
    static let usage = """
        ledger verify [--checkpoint FILE]... [--as ID] [--data DIR] [--json]

        Trusts only the public key: re-encodes every event, rebuilds the Merkle tree, checks each stored
        checkpoint's signature and root, and that the log still matches each checkpoint FILE (copies
        kept elsewhere, which also catch a log rewritten and re-signed with the same key).
        """
    static let options: [OptionSpec] = [
        .option("checkpoint", "FILE", "a checkpoint kept outside the server (repeatable)", repeatable: true),
        .actor, .data, .json,
    ]

    let args: Arguments

    func run() throws -> Int32 {
        let vault = try Context.openVault(args)
        let external = try args.all("checkpoint").map { path in
            (label: "checkpoint file \(path)", note: try LedgerJSON.readFile(path, what: "checkpoint"))
        }
        let bar = ProgressBar("ledger verify", unit: "events")
        let report = try vault.verifyLedger(external: external, for: Context.acting(args)) {
            bar.update(Int64($0), Int64($1))
        }
        bar.finish()
        if args.flag("json") {
            Output.json(["intact": report.isIntact, "events": report.size, "root": report.root.hex,
                         "checkpoints": report.checkpointsChecked,
                         "checkpoint_files": report.externalCheckpointsChecked,
                         "uncovered_events": report.uncovered, "problems": report.problems])
        } else {
            for p in report.problems { print("MISMATCH  \(p)".escapedForTerminal) }
            if report.isIntact {
                print("OK: \(report.size) events, \(report.checkpointsChecked) checkpoints"
                      + (external.isEmpty ? "" : " and \(report.externalCheckpointsChecked) checkpoint files")
                      + " match; root \(report.root.hex)")
                if report.uncovered > 0 { print("\(report.uncovered) newest events are not yet in a checkpoint") }
            } else {
                print("FAILED: the ledger does not match (first problem above).")
            }
        }
        return report.isIntact ? 0 : 1
    }
}
