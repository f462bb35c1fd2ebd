import Catalog
import CustodyCore
import Foundation
import Ledger
import Vault

struct BundleCreateCommand: Command {
    static let name = "bundle create"
    static let summary = "Queue a court bundle of a case's exhibits for a recipient (built by the worker)."
    static let usage = """
        bundle create --case REF --recipient NAME [--exhibit EXHIBIT[:SPEC.json]]... [--expires 14d]
                      [--max-downloads N] [--wait] [--as ID] [--data DIR] [--json]

        Queues a transfer job; `custody serve` or `custody worker` builds the bundle (BagIt in one ZIP,
        signed) and its link. NAME is the recipient's ID (j.smith@cps.gov.uk). Without --exhibit, every
        exhibit of the case is sent; EXHIBIT:SPEC.json sends a redacted copy made with that spec (checked
        now: a bad spec is refused at once). --expires: how long the link lives once built, 1m to 365d,
        as Nd, Nh or Nm (default 14d). --wait follows the job and prints the link: when no worker takes it
        within 3 s, it runs in this process (niced; Ctrl-C gives it back to the queue).
        """
    static let refusalAction: CustodyEvent.Action? = .share
    static let options: [OptionSpec] = [
        .option("case", "REF", "the case whose exhibits are sent"),
        .option("recipient", "NAME", "who receives it: an ID of letters, digits and ._@- (j.smith@cps.gov.uk)"),
        .option("exhibit", "EXHIBIT[:SPEC]", "an exhibit of the case, redacted with SPEC if given (repeatable)",
                repeatable: true),
        .option("expires", "DURATION", "how long the link lives once built: 1m-365d (default 14d)"),
        .option("max-downloads", "N", "complete downloads allowed (default: no limit)"),
        .flag("wait", "follow the job (run it here if no worker takes it) and print the link"),
        .actor, .data, .json,
    ]

    let args: Arguments
    let caseRef: String
    let recipient: String
    let clips: [BundleClipRequest]
    let expiresIn: Int64
    let maxDownloads: Int64?

    init(_ args: Arguments) throws {
        _ = try args.positionals(exactly: [])
        guard let caseRef = args.value("case") else {
            throw CustodyError.invalidInput(field: "--case", "missing --case REF")
        }
        guard let recipient = args.value("recipient") else {
            throw CustodyError.invalidInput(field: "--recipient", "missing --recipient NAME")
        }
        self.caseRef = caseRef
        self.recipient = recipient
        clips = try args.all("exhibit").map { given in
            guard let colon = given.firstIndex(of: ":") else { return BundleClipRequest(exhibit: given) }
            let path = String(given[given.index(after: colon)...])
            return BundleClipRequest(exhibit: String(given[..<colon]),
                                     spec: try SpecFile.read(path, option: "--exhibit"), specName: path)
        }
        expiresIn = try Self.duration(args.value("expires") ?? "14d")
        maxDownloads = try args.int("max-downloads", in: 1...1_000_000).map(Int64.init)
        self.args = args
    }

    /// `14d`, `36h`, `90m` in seconds (`--field`, at least `atLeast` seconds).
    static func duration(_ text: String, field: String = "expires", atLeast: Int64 = 0) throws -> Int64 {
        let units: [Character: Int64] = ["d": 86_400, "h": 3600, "m": 60]
        guard let unit = text.last.flatMap({ units[$0] }), let n = Int64(text.dropLast()), n >= 0, n <= 1_000_000,
              n * unit >= atLeast
        else {
            throw CustodyError.invalidInput(field: "--\(field)", "--\(field) must be a number and d, h or m "
                                            + "(14d, 36h, 90m)\(atLeast > 0 ? ", at least \(atLeast / 60)m" : ""), "
                                            + "not \(text.prefix(40))")
        }
        return n * unit
    }

    func run() throws -> Int32 {
        let vault = try Context.openVault(args)
        let queued = try vault.queueBundle(case: caseRef, recipient: recipient, clips: clips, expiresIn: expiresIn,
                                           maxDownloads: maxDownloads, by: Context.acting(args))
        let id = queued.bundle.id
        guard args.flag("wait") else {
            if args.flag("json") {
                Output.json(BundleJSON.object(queued.bundle, items: queued.items, link: nil))
            } else {
                print("Queued \(id) (case \(queued.bundle.caseRef.escapedForTerminal), \(queued.items.count) clip"
                      + "\(queued.items.count == 1 ? "" : "s") for \(recipient)).")
                Output.note("`custody serve` or `custody worker` builds it; `custody bundle show \(id)` follows it")
            }
            return 0
        }
        let finished = try BundleWait(vault: vault, directory: Context.directory(args), id: id,
                                      actor: Context.acting(args)).run()
        let actor = Context.acting(args)
        let shown = try vault.bundleDetail(id, for: actor)
        let link = BundleLink.url(vault, finished)
        if args.flag("json") {
            Output.json(BundleJSON.object(shown.bundle, items: shown.items, link: link))
        } else if let link {
            print(link)
        }
        guard finished.state == .done else {
            Output.error("bundle \(id) is \(finished.state.rawValue) after attempt \(finished.attempts): "
                         + (finished.error ?? "no error recorded")
                         + (finished.state == .queued ? "; it is tried again later" : ""))
            return 3
        }
        return 0
    }
}

struct BundleListCommand: OptionsOnlyCommand {
    static let name = "bundle list"
    static let summary = "List court bundles, newest first, with their jobs' state."
    static let usage = "bundle list [--case REF] [--as ID] [--data DIR] [--json]"
    static let refusalAction: CustodyEvent.Action? = .view
    static let options: [OptionSpec] = [.option("case", "REF", "only this case's bundles"), .actor, .data, .json]

    let args: Arguments

    func run() throws -> Int32 {
        let vault = try Context.openVault(args)
        let bundles = try vault.bundles(caseRef: args.value("case"), for: Context.acting(args))
        if args.flag("json") {
            Output.json(bundles.map { BundleJSON.object($0, link: BundleLink.url(vault, $0)) })
        } else if bundles.isEmpty {
            print("No bundles: `custody bundle create --case REF --recipient NAME --as OFFICER` queues one.")
        } else {
            print(Output.table(bundles.map { b in
                [b.id, b.caseRef.escapedForTerminal, b.recipient, BundleText.state(b), b.createdAt,
                 b.size.map(Format.bytes) ?? "-"]
            }), terminator: "")
        }
        return 0
    }
}

struct BundleShowCommand: Command {
    static let name = "bundle show"
    static let summary = "Show a court bundle: its job (state, attempts, error), clips, ZIP, expiry and link."
    static let usage = "bundle show ID [--as ID] [--data DIR] [--json]"
    static let refusalAction: CustodyEvent.Action? = .view
    static let options: [OptionSpec] = [.actor, .data, .json]

    let args: Arguments
    let id: String

    init(_ args: Arguments) throws {
        id = try args.positionals(exactly: ["ID"])[0]
        self.args = args
    }

    func run() throws -> Int32 {
        let vault = try Context.openVault(args)
        let view = try vault.bundleDetail(id, for: Context.acting(args))
        let link = BundleLink.url(vault, view.bundle)
        if args.flag("json") {
            Output.json(BundleJSON.object(view.bundle, items: view.items, link: link))
        } else {
            print(BundleText.detail(view, link: link), terminator: "")
        }
        return 0
    }
}

struct BundleRevokeCommand: Command {
    static let name = "bundle revoke"
    static let summary = "Revoke a court bundle: its link is refused from now on (a job not yet run stops)."
    static let usage = "bundle revoke ID --reason TEXT [--as ID] [--data DIR] [--json]"
    static let refusalAction: CustodyEvent.Action? = .share
    static let options: [OptionSpec] = [.option("reason", "TEXT", "why (recorded in the ledger)"), .actor, .data,
                                        .json]

    let args: Arguments
    let id: String
    let reason: String

    init(_ args: Arguments) throws {
        id = try args.positionals(exactly: ["ID"])[0]
        reason = try args.reason(for: "revocation")
        self.args = args
    }

    func run() throws -> Int32 {
        let revoked = try Context.openVault(args).revokeBundle(id, reason: reason, by: Context.acting(args))
        if args.flag("json") {
            Output.json(BundleJSON.object(revoked, link: nil))
        } else {
            print("Revoked \(revoked.id): its link is refused from now on.")
        }
        return 0
    }
}
