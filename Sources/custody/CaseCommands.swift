import Catalog
import CustodyCore
import Ledger
import Vault

/// The JSON shape of a case in `case list --json`, `case create --json` and `case show --json`.
enum CaseJSON {
    static func object(_ c: CaseRegistry.Case) -> [String: Any] {
        var o: [String: Any] = ["ref": c.ref, "created_at": c.createdAt, "created_by": c.createdBy,
                                "exhibits": c.exhibits, "open": c.isOpen]
        o["title"] = c.title
        o["closed_at"] = c.closedAt
        o["closed_by"] = c.closedBy
        return o
    }
}

struct CaseCreateCommand: Command {
    static let name = "case create"
    static let summary = "Create a case (a prosecution's reference) to gather exhibits under."
    static let usage = """
        case create REF [--title TEXT] [--as ID] [--data DIR] [--json]

        REF is 1-64 letters, digits or ._/- characters, starting with a letter or digit (CPS/2026/1187);
        it is unique whatever the letter case. Creating a case is a custody event (`link`).
        """
    static let refusalAction: CustodyEvent.Action? = .link
    static let options: [OptionSpec] = [.actor, .data, .json, .option("title", "TEXT", "what the case is about")]

    let args: Arguments
    let ref: String

    init(_ args: Arguments) throws {
        ref = try args.positionals(exactly: ["REF"])[0]
        self.args = args
    }

    func run() throws -> Int32 {
        let created = try Context.openVault(args).createCase(ref, title: args.value("title"), by: Context.acting(args))
        if args.flag("json") {
            Output.json(CaseJSON.object(created))
        } else {
            print("Created case \(created.ref.escapedForTerminal).")
        }
        return 0
    }
}

struct CaseAddCommand: Command {
    static let name = "case add"
    static let summary = "Add exhibits to a case; each addition is a custody event."
    static let usage = """
        case add REF EXHIBIT... [--as ID] [--data DIR] [--json]

        EXHIBIT is a catalog ID (EX-000001) or a unique SHA-256 prefix of at least 6 hex digits. All or
        none: one unknown exhibit refuses them all. An exhibit in the case already stays as it is.
        """
    static let refusalAction: CustodyEvent.Action? = .link
    static let options: [OptionSpec] = [.actor, .data, .json]

    let args: Arguments
    let ref: String
    let exhibits: [String]

    init(_ args: Arguments) throws {
        guard args.positionals.count >= 2 else {
            throw CustodyError.invalidInput(field: "arguments", args.positionals.isEmpty
                                            ? "missing <REF> <EXHIBIT>..." : "missing <EXHIBIT>...")
        }
        ref = args.positionals[0]
        exhibits = Array(args.positionals.dropFirst())
        self.args = args
    }

    func run() throws -> Int32 {
        let results = try Context.openVault(args).addToCase(ref, exhibits: exhibits, by: Context.acting(args))
        if args.flag("json") {
            Output.json(results.map { r -> [String: Any] in
                ["case": ref, "id": r.exhibit.id, "sha256": r.exhibit.sha256.hex, "added": r.added]
            })
        } else {
            print(Output.table(results.map { r in
                [r.exhibit.id, String(r.exhibit.sha256.hex.prefix(16)),
                 r.added ? "added" : "already in the case"]
            }), terminator: "")
        }
        return 0
    }
}

struct CaseListCommand: OptionsOnlyCommand {
    static let name = "case list"
    static let summary = "List the cases, oldest first, with how many exhibits each holds."
    static let usage = "case list [--as ID] [--data DIR] [--json]"
    static let refusalAction: CustodyEvent.Action? = .view
    static let options: [OptionSpec] = [.actor, .data, .json]

    let args: Arguments

    func run() throws -> Int32 {
        let cases = try Context.openVault(args).cases(for: Context.acting(args))
        if args.flag("json") {
            Output.json(cases.map(CaseJSON.object))
        } else if cases.isEmpty {
            print("No cases: `custody case create REF --as OFFICER` creates one.")
        } else {
            print(Output.table(cases.map { c in
                [c.ref, "\(c.exhibits) exhibit\(c.exhibits == 1 ? "" : "s")", c.createdAt, c.createdBy,
                 (c.title ?? "").escapedForTerminal]
            }), terminator: "")
        }
        return 0
    }
}

struct CaseShowCommand: Command {
    static let name = "case show"
    static let summary = "Show one case and its exhibits, in the order they were added."
    static let usage = "case show REF [--as ID] [--data DIR] [--json]"
    static let refusalAction: CustodyEvent.Action? = .view
    static let options: [OptionSpec] = [.actor, .data, .json]

    let args: Arguments
    let ref: String

    init(_ args: Arguments) throws {
        ref = try args.positionals(exactly: ["REF"])[0]
        self.args = args
    }

    func run() throws -> Int32 {
        let view = try Context.openVault(args).caseDetail(ref, for: Context.acting(args))
        let c = view.case
        if args.flag("json") {
            var o = CaseJSON.object(c)
            o["exhibits"] = view.exhibits.map { e, m -> [String: Any] in
                var x = ExhibitJSON.object(e)
                x["added_at"] = m.addedAt
                x["added_by"] = m.addedBy
                return x
            }
            Output.json(o)
            return 0
        }
        print("Case \(c.ref.escapedForTerminal)" + (c.title.map { ": \($0.escapedForTerminal)" } ?? ""))
        print("Created \(c.createdAt) by \(c.createdBy)")
        if view.exhibits.isEmpty {
            print("No exhibits: `custody case add \(c.ref.escapedForTerminal) EXHIBIT...` adds them.")
        } else {
            print(Output.table(view.exhibits.map { e, m in
                [e.id, String(e.sha256.hex.prefix(16)), (e.filename ?? "-").escapedForTerminal,
                 "added \(m.addedAt) by \(m.addedBy)"]
            }), terminator: "")
        }
        return 0
    }
}
