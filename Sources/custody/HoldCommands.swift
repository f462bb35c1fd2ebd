import Catalog
import CustodyCore
import Ledger
import Vault

/// The JSON shape of a hold in `hold add|remove|list --json`.
enum HoldJSON {
    static func object(_ h: HoldRegistry.Hold) -> [String: Any] {
        var o: [String: Any] = ["id": h.id, "reason": h.reason, "added_at": h.addedAt, "added_by": h.addedBy]
        switch h.target {
        case .exhibit(let id): o["exhibit"] = id
        case .case(let ref): o["case"] = ref
        }
        o["removed_at"] = h.removedAt
        o["removed_by"] = h.removedBy
        return o
    }

    static func row(_ h: HoldRegistry.Hold) -> [String] {
        [h.id, h.target.description.escapedForTerminal, h.reason.escapedForTerminal,
         "added \(h.addedAt) by \(h.addedBy)"]
            + (h.removedAt.map { ["removed \($0) by \(h.removedBy ?? "?")"] } ?? [])
    }
}

/// `hold add` and `hold remove`: one EXHIBIT|CASE and a `--reason`, refusals recorded as `hold` events.
protocol HoldChangeCommand: Command {
    /// What the reason is for, in the error when it is missing ("hold", "hold removal").
    static var reasonFor: String { get }
    init(args: Arguments, target: String, reason: String)
}

extension HoldChangeCommand {
    static var refusalAction: CustodyEvent.Action? { .hold }

    init(_ args: Arguments) throws {
        let target = try args.positionals(exactly: ["EXHIBIT|CASE"])[0]
        self.init(args: args, target: target, reason: try args.reason(for: Self.reasonFor))
    }
}

struct HoldAddCommand: HoldChangeCommand {
    static let name = "hold add"
    static let summary = "Place a legal hold on an exhibit or a case: retention deletes nothing it holds."
    static let usage = """
        hold add EXHIBIT|CASE --reason TEXT [--as ID] [--data DIR] [--json]

        A case reference names the case (every exhibit in it, now or later, is held); EX-000001 or a
        SHA-256 prefix names an exhibit. Supervisors only; a `hold` event.
        """
    static let options: [OptionSpec] = [.actor, .data, .json, .option("reason", "TEXT", "why it is held")]
    static let reasonFor = "hold"

    let args: Arguments
    let target: String
    let reason: String

    func run() throws -> Int32 {
        let hold = try Context.openVault(args).addHold(on: target, reason: reason, by: Context.acting(args))
        if args.flag("json") {
            Output.json(HoldJSON.object(hold))
        } else {
            print("Hold \(hold.id) on \(hold.target.description.escapedForTerminal).")
        }
        return 0
    }
}

struct HoldRemoveCommand: HoldChangeCommand {
    static let name = "hold remove"
    static let summary = "Remove the holds on an exhibit or a case."
    static let usage = "hold remove EXHIBIT|CASE --reason TEXT [--as ID] [--data DIR] [--json]"
    static let options: [OptionSpec] = [.actor, .data, .json, .option("reason", "TEXT", "why the hold ends")]
    static let reasonFor = "hold removal"

    let args: Arguments
    let target: String
    let reason: String

    func run() throws -> Int32 {
        let removed = try Context.openVault(args).removeHolds(on: target, reason: reason, by: Context.acting(args))
        if args.flag("json") {
            Output.json(removed.map(HoldJSON.object))
        } else {
            for hold in removed { print("Removed hold \(hold.id) on \(hold.target.description.escapedForTerminal).") }
        }
        return 0
    }
}

struct HoldListCommand: OptionsOnlyCommand {
    static let name = "hold list"
    static let summary = "List the standing legal holds (--all: removed ones too)."
    static let usage = "hold list [--all] [--as ID] [--data DIR] [--json]"
    static let refusalAction: CustodyEvent.Action? = .view
    static let options: [OptionSpec] = [.actor, .data, .json, .flag("all", "removed holds too")]

    let args: Arguments

    func run() throws -> Int32 {
        let holds = try Context.openVault(args).holds(all: args.flag("all"), for: Context.acting(args))
        if args.flag("json") {
            Output.json(holds.map(HoldJSON.object))
        } else if holds.isEmpty {
            print("No holds.")
        } else {
            print(Output.table(holds.map(HoldJSON.row)), terminator: "")
        }
        return 0
    }
}

/// `case close` and `case reopen`: an exhibit in an open case is kept by retention.
protocol CaseStateCommand: Command {
    /// True for `case close`.
    static var closes: Bool { get }
    var args: Arguments { get }
    var ref: String { get }
    init(args: Arguments, ref: String)
}

extension CaseStateCommand {
    static var usage: String { "\(name) REF [--as ID] [--data DIR] [--json]" }
    static var refusalAction: CustodyEvent.Action? { .retention }
    static var options: [OptionSpec] { [.actor, .data, .json] }

    init(_ args: Arguments) throws {
        self.init(args: args, ref: try args.positionals(exactly: ["REF"])[0])
    }

    func run() throws -> Int32 {
        let (found, changed) = try Context.openVault(args).setCaseClosed(ref, Self.closes, by: Context.acting(args))
        if args.flag("json") {
            var o = CaseJSON.object(found)
            o["changed"] = changed
            Output.json(o)
        } else {
            let state = found.isOpen ? "open" : "closed"
            print(changed ? "Case \(found.ref.escapedForTerminal) is now \(state)."
                          : "Case \(found.ref.escapedForTerminal) was already \(state); nothing changed.")
        }
        return 0
    }
}

struct CaseCloseCommand: CaseStateCommand {
    static let name = "case close"
    static let summary = "Close a case: its exhibits are then kept only as their category (or a hold) says."
    static let closes = true

    let args: Arguments
    let ref: String
}

struct CaseReopenCommand: CaseStateCommand {
    static let name = "case reopen"
    static let summary = "Reopen a closed case: its exhibits are kept while it is open."
    static let closes = false

    let args: Arguments
    let ref: String
}
