import CustodyCore
import Vault

struct DeviceAddCommand: Command {
    static let name = "device add"
    static let summary = "Register a docking station and print its upload token (shown once, stored hashed)."
    static let usage = "device add NAME [--as ID] [--data DIR] [--json]"
    static let options: [OptionSpec] = [.actor, .data, .json]

    let args: Arguments
    let device: String

    init(_ args: Arguments) throws {
        device = try args.positionals(exactly: ["NAME"])[0]
        self.args = args
    }

    func run() throws -> Int32 {
        let vault = try Context.openVault(args)
        let token = try vault.addDevice(device, by: Context.acting(args))
        if args.flag("json") {
            Output.json(["device": device, "token": token])
        } else {
            print(token)
            Output.note("device \(device) added. The token above is shown only once: configure the dock with it "
                        + "(Authorization: Bearer <token>).")
        }
        return 0
    }
}

struct DeviceListCommand: OptionsOnlyCommand {
    static let name = "device list"
    static let summary = "List registered docking stations and whether they are active."
    static let usage = "device list [--as ID] [--data DIR] [--json]"
    static let options: [OptionSpec] = [.actor, .data, .json]

    let args: Arguments

    func run() throws -> Int32 {
        let devices = try Context.openVault(args).devices(for: Context.acting(args))
        if args.flag("json") {
            Output.json(devices.map { d -> [String: Any] in
                var o: [String: Any] = ["name": d.name, "created_at": d.createdAt, "created_by": d.createdBy,
                                        "active": d.isActive]
                o["revoked_at"] = d.revokedAt
                return o
            })
        } else if devices.isEmpty {
            print("No devices: `custody device add NAME --as OFFICER` registers a dock.")
        } else {
            for d in devices {
                print(("\(d.name)  \(d.isActive ? "active " : "revoked")  added \(d.createdAt) by \(d.createdBy)"
                       + (d.revokedAt.map { ", revoked \($0)" } ?? "")).escapedForTerminal)
            }
        }
        return 0
    }
}

struct DeviceRevokeCommand: Command {
    static let name = "device revoke"
    static let summary = "Revoke a docking station's token; its uploads are refused from now on."
    static let usage = "device revoke NAME [--as ID] [--data DIR] [--json]"
    static let options: [OptionSpec] = [.actor, .data, .json]

    let args: Arguments
    let device: String

    init(_ args: Arguments) throws {
        device = try args.positionals(exactly: ["NAME"])[0]
        self.args = args
    }

    func run() throws -> Int32 {
        let vault = try Context.openVault(args)
        let revokedAt = try vault.revokeDevice(device, by: Context.acting(args))
        if args.flag("json") {
            Output.json(["device": device, "revoked_at": revokedAt])
        } else {
            print("Revoked \(device.escapedForTerminal).")
        }
        return 0
    }
}
