import CustodyCore
import Vault

struct ListCommand: OptionsOnlyCommand {
    static let name = "list"
    static let summary = "List the exhibits in the vault, oldest first."
    static let usage = "list [--as ID] [--data DIR] [--json]"
    static let options: [OptionSpec] = [.actor, .data, .json]

    let args: Arguments

    func run() throws -> Int32 {
        let exhibits = try Context.openVault(args).exhibits(for: Context.acting(args))
        if args.flag("json") {
            Output.json(exhibits.map(ExhibitJSON.object))
            return 0
        }
        if exhibits.isEmpty {
            print("The vault is empty: `custody ingest FILE --device ID --as OFFICER` adds a recording.")
            return 0
        }
        // Every column padded to its widest value, so the media summaries line up whatever the names.
        print(Output.table(exhibits.map { e in
            [e.id, String(e.sha256.hex.prefix(16)), Format.bytes(e.size), e.status.rawValue,
             (e.filename ?? "-").escapedForTerminal, "[\(ExhibitJSON.mediaSummary(e))]",
             e.parentSHA256 == nil ? "" : "derived"]
        }), terminator: "")
        return 0
    }
}
