import Foundation
import CustodyCore
import Ledger
import Vault

struct ExportCommand: Command {
    static let name = "export"
    static let summary = "Write an exhibit's original bytes to a file, checking every chunk as it is read."
    static let usage = """
        export EXHIBIT --out FILE --reason TEXT [--as ID] [--data DIR] [--json]

        A damaged chunk stops the export with an error naming the exhibit and chunk; nothing is left at FILE.
        FILE must not exist yet.
        """
    static let refusalAction: CustodyEvent.Action? = .export
    static let options: [OptionSpec] = [
        .option("out", "FILE", "where to write the bytes (must not exist)"),
        .option("reason", "TEXT", "why it is exported; recorded in the ledger (required)"),
        .actor, .data, .json,
    ]

    let args: Arguments
    let reference: String
    let out: String
    let reason: String

    init(_ args: Arguments) throws {
        reference = try args.positionals(exactly: ["EXHIBIT"])[0]
        guard let out = args.value("out"), !out.isEmpty else { throw CustodyError.invalidInput(field: "--out",
            "missing --out FILE") }
        reason = try args.reason(for: "export")
        self.args = args
        self.out = out
    }

    func run() throws -> Int32 {
        let vault = try Context.openVault(args)
        let actor = Context.acting(args)
        let exhibit = try vault.exhibit(reference, for: .exportExhibit, by: actor)
        let bar = ProgressBar("export \(exhibit.id)")
        defer { bar.finish() }
        try vault.export(exhibit, to: out, actor: actor, reason: reason, progress: bar.update)
        bar.finish()
        if args.flag("json") {
            Output.json(["id": exhibit.id, "sha256": exhibit.sha256.hex, "size": exhibit.size,
                         "out": URL(fileURLWithPath: out).standardizedFileURL.path])
        } else {
            let path = URL(fileURLWithPath: out).standardizedFileURL.path
            print("\(exhibit.id)  \(exhibit.sha256.hex)  \(path.escapedForTerminal)")
        }
        return 0
    }
}
