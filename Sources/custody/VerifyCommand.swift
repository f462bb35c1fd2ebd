import CustodyCore
import Vault

struct VerifyCommand: OptionsOnlyCommand {
    static let name = "verify"
    static let summary = "Re-hash every chunk, exhibit and ledger event; exit 1 listing anything damaged or missing."
    static let usage = "verify [--as ID] [--data DIR] [--json]"
    static let options: [OptionSpec] = [.actor, .data, .json]

    let args: Arguments

    func run() throws -> Int32 {
        let vault = try Context.openVault(args)
        let bar = ProgressBar("verify")
        let report = try vault.verify(actor: Context.acting(args), progress: bar.update)
        bar.finish()
        if args.flag("json") {
            Output.json([
                "intact": report.isIntact, "exhibits": report.exhibitsChecked, "chunks": report.chunksChecked,
                "bytes": report.bytesChecked, "damaged_exhibits": report.damagedExhibits,
                "events": report.eventsChecked, "ledger_problems": report.ledgerProblems.count,
                "ledger_mismatches": report.ledgerProblems, "deleted": report.deletedExhibits,
                "purged": report.purgedExhibits,
                "damage": report.damage.map { d -> [String: Any] in
                    var o: [String: Any] = ["exhibit": d.exhibit, "problem": d.problem]
                    o["chunk_index"] = d.chunkIndex
                    o["chunk"] = d.chunk?.hex
                    return o
                },
            ])
        } else {
            for p in report.ledgerProblems { print("LEDGER  \(p)".escapedForTerminal) }
            for d in report.damage { print("DAMAGED  \(d.exhibit)  \(d.problem)".escapedForTerminal) }
            if report.isIntact {
                print("OK: \(report.exhibitsChecked) exhibits, \(report.chunksChecked) chunks, "
                      + "\(Format.bytes(report.bytesChecked)) and \(report.eventsChecked) ledger events intact"
                      + (report.deletedExhibits == 0 ? "." : " (\(report.deletedExhibits) deleted by retention; the "
                         + "\(report.purgedExhibits) purged checked against the ledger only)."))
            } else {
                print("FAILED: \(report.damagedExhibits.count) of \(report.exhibitsChecked) exhibits damaged"
                      + (report.ledgerProblems.isEmpty ? "." : "; \(report.ledgerProblems.count) ledger problems."))
            }
        }
        return report.isIntact ? 0 : 1
    }
}
