import CustodyCore
import Vault

struct InitCommand: Command {
    static let name = "init"
    static let summary = "Create a data directory: catalog database, chunk store and keys. Harmless to repeat."
    static let usage = "init [--data DIR] [--org NAME] [--as ID] [--json]"
    static let options: [OptionSpec] = [
        .data, .option("org", "NAME", "organisation name; the ledger origin is <org>/custody (default: local)"),
        .actor, .json,
    ]

    let args: Arguments
    let org: String?

    init(_ args: Arguments) throws {
        _ = try args.positionals(exactly: [])
        if let org = args.value("org") {
            guard (1...100).contains(org.utf8.count), org.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f && $0 != 0x2b }) else {
                throw CustodyError.usage("--org must be 1-100 printable characters without spaces or '+'")
            }
        }
        self.args = args
        self.org = args.value("org")
    }

    func run() throws -> Int32 {
        let directory = Context.directory(args)
        // init needs no officer; when one is given the first ledger event names them.
        let actor = (try? Context.actor(args, vault: nil, action: .initialize)) ?? Actor.system
        let (vault, created) = try Vault.initialize(directory, org: org, actor: actor)
        let organization = try vault.organization()
        if args.flag("json") {
            Output.json(["data": directory.root, "created": created, "org": organization,
                         "public_key": directory.ledgerPublicKey])
        } else {
            print(created ? "Created custody data directory \(directory.root) (org \(organization))."
                          : "\(directory.root) is already a custody data directory (org \(organization)); nothing to do.")
            print("Ledger public key: \(directory.ledgerPublicKey)")
        }
        return 0
    }
}
