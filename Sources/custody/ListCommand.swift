import CustodyCore
import Vault

struct ListCommand: OptionsOnlyCommand {
    static let name = "list"
    static let summary = "List the exhibits in the vault, oldest first."
    static let usage = "list [--data DIR] [--json]"
    static let options: [OptionSpec] = [.data, .json]

    let args: Arguments

    func run() throws -> Int32 {
        let vault = try Context.openVault(args)
        let exhibits = try vault.catalog.all()
        if args.flag("json") {
            Output.json(exhibits.map(ExhibitJSON.object))
            return 0
        }
        if exhibits.isEmpty {
            print("The vault is empty: `custody ingest FILE --device ID --as OFFICER` adds a recording.")
            return 0
        }
        for e in exhibits {
            let kind = e.parentSHA256 == nil ? "" : "  derived"
            print("\(e.id)  \(e.sha256.hex.prefix(16))  \(Format.bytes(e.size).padding(toLength: 10, withPad: " ", startingAt: 0))"
                  + "  \(e.status.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0))  \(Output.printable(e.filename ?? "-"))"
                  + "  [\(ExhibitJSON.mediaSummary(e))]\(kind)")
        }
        return 0
    }
}
