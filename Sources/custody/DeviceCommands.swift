import Catalog
import CustodyCore
import Vault

/// Docks and remote workers: machines registered with a token of their own, each group with the same
/// three commands (`device add|list|revoke`, `worker add|list|revoke`).
protocol MachineGroup {
    /// The command group's word, as events and JSON name one: `device`, `worker`.
    static var noun: String { get }
    static var plural: String { get }
    /// What the group is for, in summaries.
    static var what: String { get }
    /// How to use a new token, said after it is printed.
    static var useToken: String { get }
    static func add(_ name: String, _ vault: Vault, _ actor: Actor) throws -> String
    static func revoke(_ name: String, _ vault: Vault, _ actor: Actor) throws -> String
    static func list(_ vault: Vault, _ actor: Actor) throws -> [DeviceRegistry.Device]
}

enum Docks: MachineGroup {
    static let noun = "device"
    static let plural = "devices"
    static let what = "docking station"
    static let useToken = "configure the dock with it (Authorization: Bearer <token>)"
    static func add(_ name: String, _ vault: Vault, _ actor: Actor) throws -> String {
        try vault.addDevice(name, by: actor)
    }
    static func revoke(_ name: String, _ vault: Vault, _ actor: Actor) throws -> String {
        try vault.revokeDevice(name, by: actor)
    }
    static func list(_ vault: Vault, _ actor: Actor) throws -> [DeviceRegistry.Device] { try vault.devices(for: actor) }
}

enum Workers: MachineGroup {
    static let noun = "worker"
    static let plural = "workers"
    static let what = "remote redaction worker"
    static let useToken = "run `custody worker --server URL --token <token>` on the worker's machine"
    static func add(_ name: String, _ vault: Vault, _ actor: Actor) throws -> String {
        try vault.addWorker(name, by: actor)
    }
    static func revoke(_ name: String, _ vault: Vault, _ actor: Actor) throws -> String {
        try vault.revokeWorker(name, by: actor)
    }
    static func list(_ vault: Vault, _ actor: Actor) throws -> [DeviceRegistry.Device] { try vault.workers(for: actor) }
}

typealias DeviceAddCommand = MachineAddCommand<Docks>
typealias DeviceListCommand = MachineListCommand<Docks>
typealias DeviceRevokeCommand = MachineRevokeCommand<Docks>
typealias WorkerAddCommand = MachineAddCommand<Workers>
typealias WorkerListCommand = MachineListCommand<Workers>
typealias WorkerRevokeCommand = MachineRevokeCommand<Workers>

struct MachineAddCommand<Group: MachineGroup>: Command {
    static var name: String { "\(Group.noun) add" }
    static var summary: String {
        "Register a \(Group.what) and print its token (shown once, stored hashed)."
    }
    static var usage: String { "\(Group.noun) add NAME [--as ID] [--data DIR] [--json]" }
    static var options: [OptionSpec] { [.actor, .data, .json] }

    let args: Arguments
    let machine: String

    init(_ args: Arguments) throws {
        machine = try args.positionals(exactly: ["NAME"])[0]
        self.args = args
    }

    func run() throws -> Int32 {
        let token = try Group.add(machine, Context.openVault(args), Context.acting(args))
        if args.flag("json") {
            Output.json([Group.noun: machine, "token": token])
        } else {
            print(token)
            Output.note("\(Group.noun) \(machine) added. The token above is shown only once: \(Group.useToken).")
        }
        return 0
    }
}

struct MachineListCommand<Group: MachineGroup>: OptionsOnlyCommand {
    static var name: String { "\(Group.noun) list" }
    static var summary: String { "List registered \(Group.what)s and whether they are active." }
    static var usage: String { "\(Group.noun) list [--as ID] [--data DIR] [--json]" }
    static var options: [OptionSpec] { [.actor, .data, .json] }

    let args: Arguments

    func run() throws -> Int32 {
        let machines = try Group.list(Context.openVault(args), Context.acting(args))
        if args.flag("json") {
            Output.json(machines.map { d -> [String: Any] in
                var o: [String: Any] = ["name": d.name, "created_at": d.createdAt, "created_by": d.createdBy,
                                        "active": d.isActive]
                o["revoked_at"] = d.revokedAt
                return o
            })
        } else if machines.isEmpty {
            print("No \(Group.plural): `custody \(Group.noun) add NAME --as OFFICER` registers a \(Group.what).")
        } else {
            for d in machines {
                print(("\(d.name)  \(d.isActive ? "active " : "revoked")  added \(d.createdAt) by \(d.createdBy)"
                       + (d.revokedAt.map { ", revoked \($0)" } ?? "")).escapedForTerminal)
            }
        }
        return 0
    }
}

struct MachineRevokeCommand<Group: MachineGroup>: Command {
    static var name: String { "\(Group.noun) revoke" }
    static var summary: String {
        "Revoke a \(Group.what)'s token; its requests are refused from now on."
    }
    static var usage: String { "\(Group.noun) revoke NAME [--as ID] [--data DIR] [--json]" }
    static var options: [OptionSpec] { [.actor, .data, .json] }

    let args: Arguments
    let machine: String

    init(_ args: Arguments) throws {
        machine = try args.positionals(exactly: ["NAME"])[0]
        self.args = args
    }

    func run() throws -> Int32 {
        let revokedAt = try Group.revoke(machine, Context.openVault(args), Context.acting(args))
        if args.flag("json") {
            Output.json([Group.noun: machine, "revoked_at": revokedAt])
        } else {
            print("Revoked \(machine.escapedForTerminal).")
        }
        return 0
    }
}
