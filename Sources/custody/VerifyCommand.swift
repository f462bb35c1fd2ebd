import CustodyCore
import Vault

struct VerifyCommand: OptionsOnlyCommand {
    static let name = "verify"
    static let summary = "Re-hash every stored chunk and exhibit; exit 1 listing anything damaged or missing."
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
                "damage": report.damage.map { d -> [String: Any] in
                    var o: [String: Any] = ["exhibit": d.exhibit, "problem": d.problem]
                    o["chunk_index"] = d.chunkIndex
                    o["chunk"] = d.chunk?.hex
                    return o
                },
            ])
        } else {
            for d in report.damage { print("DAMAGED  \(d.exhibit)  \(d.problem)".escapedForTerminal) }
            print(report.isIntact
                  ? "OK: \(report.exhibitsChecked) exhibits, \(report.chunksChecked) chunks, \(Format.bytes(report.bytesChecked)) intact."
                  : "FAILED: \(report.damagedExhibits.count) of \(report.exhibitsChecked) exhibits damaged.")
        }
        return report.isIntact ? 0 : 1
    }
}
