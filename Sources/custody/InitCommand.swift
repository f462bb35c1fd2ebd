import CustodyCore
import Vault

struct InitCommand: Command {
    static let name = "init"
    static let summary = "Create a data directory: catalog database, chunk store and keys. Harmless to repeat."
    static let usage = """
        init [--data DIR] [--org NAME] [--origin NAME] [--public-url URL] [--store LOCATION] [--as ID] [--json]

        --store: where evidence chunks are kept, fixed at creation: `files` (the default: DIR/chunks) or an
        S3 bucket, s3://BUCKET/PREFIX?endpoint=https://HOST:PORT&region=REGION[&ca-file=PEM][&lock=compliance|
        governance]. The bucket is checked first (reachable, Object Lock enabled when lock= is given). Credentials
        come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (saved to DIR/keys/s3.credentials, 0600, for the
        service and later commands, when that file does not exist) or from that file; never from the URL.
        """
    static let options: [OptionSpec] = [
        .data, .option("org", "NAME", "organisation name (default: local)"),
        .option("origin", "NAME", "the ledger's checkpoint origin, fixed at creation (default: <org>/custody)"),
        .option("public-url", "URL", "the address download links start with (default: http://127.0.0.1:8080); "
                + "give it again to change it"),
        .option("store", "LOCATION", "`files` (default) or s3://BUCKET/PREFIX?endpoint=URL&region=R[&lock=MODE]"),
        .actor, .json,
    ]

    let args: Arguments
    let org: String?
    let store: StoreLocation?

    init(_ args: Arguments) throws {
        _ = try args.positionals(exactly: [])
        if let org = args.value("org") {
            guard (1...100).contains(org.utf8.count), org.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f && $0 != 0x2b }) else {
                throw CustodyError.invalidInput(field: "--org",
                                                "--org must be 1-100 printable characters without spaces or '+'")
            }
        }
        if let origin = args.value("origin") {
            guard (1...200).contains(origin.utf8.count),
                  origin.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f && $0 != 0x2b }) else {
                throw CustodyError.invalidInput(field: "--origin",
                                                "--origin must be 1-200 printable characters without spaces or '+'")
            }
        }
        if let url = args.value("public-url") { _ = try Vault.checkedPublicURL(url, field: "--public-url") }
        self.args = args
        self.org = args.value("org")
        store = try args.value("store").map { try StoreLocation($0) }
    }

    func run() throws -> Int32 {
        let directory = Context.directory(args)
        // The first officer named is registered as a supervisor (on a new vault, one must be named: no
        // one else could register officers); the init event names them.
        let acting = Context.acting(args)
        guard acting.kind == .officer || directory.isInitialized else {
            throw CustodyError.invalidInput(field: "--as", "a new vault needs its first supervisor: give --as ID "
                                            + "or set CUSTODY_ACTOR (registered as a supervisor, their token "
                                            + "printed once)")
        }
        let actor = acting.kind == .officer ? acting : Actor.system
        let done = try Vault.initialization(directory, org: org, origin: args.value("origin"), store: store,
                                              actor: actor)
        let vault = done.vault
        if let url = args.value("public-url") { try vault.setPublicURL(url, by: actor) }
        let organization = try vault.organization()
        if args.flag("json") {
            var object: [String: Any] = [
                "data": directory.root, "created": done.created, "org": organization,
                "origin": try vault.ledgerOrigin(), "public_key": directory.ledgerPublicKey,
                "public_url": try vault.publicURL(), "store": try vault.storeLocation().description]
            object["credentials_saved"] = done.savedCredentials
            if let token = done.supervisorToken {
                object["supervisor"] = actor.id
                object["token"] = token
            }
            Output.json(object)
        } else {
            print(done.created ? "Created custody data directory \(directory.root) (org \(organization))."
                  : "\(directory.root) is already a custody data directory (org \(organization)); nothing to do.")
            print("Ledger origin: \(try vault.ledgerOrigin()); public key: \(directory.ledgerPublicKey)")
            print("Download links start with \(try vault.publicURL())")
            print("Chunks are kept in \(try vault.storeLocation())")
            if let saved = done.savedCredentials {
                print("S3 credentials from the environment saved to \(saved) (0600) for the service and later commands")
            }
            if let token = done.supervisorToken {
                print("Registered \(actor.id) as the first supervisor; their personal token (shown only once):")
                print(token)
            }
        }
        if done.supervisorToken == nil, try !vault.hasOfficers() {
            Output.note("no officer is registered yet: `custody init --as ID` registers the first supervisor")
        }
        return 0
    }
}
