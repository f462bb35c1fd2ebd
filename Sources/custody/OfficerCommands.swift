import Catalog
import CustodyCore
import Ledger
import Vault

/// Prints an officer's new personal token once: alone on stdout (or in `--json`), with a note on stderr.
private func printToken(_ token: String, of id: String, _ what: String, json: Bool) {
    if json {
        Output.json(["officer": id, "token": token])
    } else {
        print(token)
        Output.note("\(what). The token above is shown only once: give it to \(id) (for the remote CLI, "
                    + "CUSTODY_TOKEN).".escapedForTerminal)
    }
}

struct OfficerAddCommand: Command {
    static let name = "officer add"
    static let summary = "Register an officer with a role and print their personal token (shown once, stored hashed)."
    static let usage = """
        officer add ID --name TEXT --role ROLE [--as ID] [--data DIR] [--json]

        ROLE is officer, evidence-officer, supervisor or auditor (README: Roles). Supervisors only.
        """
    static let refusalAction: CustodyEvent.Action? = .officer
    static let options: [OptionSpec] = [
        .option("name", "TEXT", "the officer's name"), .option("role", "ROLE", "what they may do"),
        .actor, .data, .json,
    ]

    let args: Arguments
    let id: String
    let name: String
    let role: Role

    init(_ args: Arguments) throws {
        id = try args.positionals(exactly: ["ID"])[0]
        name = try args.required("name", "TEXT")
        role = try Role.named(try args.required("role", "ROLE"))
        self.args = args
    }

    func run() throws -> Int32 {
        let token = try Context.openVault(args).addOfficer(id, name: name, role: role, by: Context.acting(args))
        printToken(token, of: id, "officer \(id) added as \(role.rawValue)", json: args.flag("json"))
        return 0
    }
}

struct OfficerListCommand: OptionsOnlyCommand {
    static let name = "officer list"
    static let summary = "List registered officers, their roles and whether they are active."
    static let usage = "officer list [--as ID] [--data DIR] [--json]"
    static let options: [OptionSpec] = [.actor, .data, .json]

    let args: Arguments

    func run() throws -> Int32 {
        let officers = try Context.openVault(args).officers(for: Context.acting(args))
        if args.flag("json") {
            Output.json(officers.map { o -> [String: Any] in
                var object: [String: Any] = ["id": o.id, "name": o.name, "role": o.role.rawValue,
                                             "created_at": o.createdAt, "created_by": o.createdBy,
                                             "active": o.isActive]
                object["disabled_at"] = o.disabledAt
                return object
            })
        } else {
            print(Output.table(officers.map { o in
                [o.id, o.role.rawValue, o.isActive ? "active" : "disabled \(o.disabledAt ?? "")", o.name,
                 "added \(o.createdAt) by \(o.createdBy)"].map(\.escapedForTerminal)
            }), terminator: "")
        }
        return 0
    }
}

/// An `officer` command on one officer: `officer VERB ID`.
protocol OfficerIDCommand: Command {
    init(args: Arguments, id: String)
}

extension OfficerIDCommand {
    static var refusalAction: CustodyEvent.Action? { .officer }
    static var options: [OptionSpec] { [.actor, .data, .json] }

    init(_ args: Arguments) throws {
        self.init(args: args, id: try args.positionals(exactly: ["ID"])[0])
    }
}

struct OfficerDisableCommand: OfficerIDCommand {
    static let name = "officer disable"
    static let summary = "Disable an officer: their token and --as are refused from now on."
    static let usage = "officer disable ID [--as ID] [--data DIR] [--json]"

    let args: Arguments
    let id: String

    func run() throws -> Int32 {
        let at = try Context.openVault(args).disableOfficer(id, by: Context.acting(args))
        if args.flag("json") {
            Output.json(["officer": id, "disabled_at": at])
        } else {
            print("Disabled \(id.escapedForTerminal).")
        }
        return 0
    }
}

struct OfficerRoleCommand: Command {
    static let name = "officer role"
    static let summary = "Give an officer another role."
    static let usage = "officer role ID ROLE [--as ID] [--data DIR] [--json]"
    static let refusalAction: CustodyEvent.Action? = .officer
    static let options: [OptionSpec] = [.actor, .data, .json]

    let args: Arguments
    let id: String
    let role: Role

    init(_ args: Arguments) throws {
        let words = try args.positionals(exactly: ["ID", "ROLE"])
        id = words[0]
        role = try Role.named(words[1])
        self.args = args
    }

    func run() throws -> Int32 {
        try Context.openVault(args).setOfficerRole(id, role, by: Context.acting(args))
        if args.flag("json") {
            Output.json(["officer": id, "role": role.rawValue])
        } else {
            print("\(id.escapedForTerminal) is now \(role.rawValue).")
        }
        return 0
    }
}

struct OfficerTokenCommand: OfficerIDCommand {
    static let name = "officer token"
    static let summary = "Issue an officer a new personal token (shown once); the old one stops working."
    static let usage = "officer token ID [--as ID] [--data DIR] [--json]"

    let args: Arguments
    let id: String

    func run() throws -> Int32 {
        let token = try Context.openVault(args).newOfficerToken(id, by: Context.acting(args))
        printToken(token, of: id, "new token for \(id); the old one no longer works", json: args.flag("json"))
        return 0
    }
}
