import Catalog
import CustodyCore
import Foundation
import Ledger
import Vault

/// What most commands share: where the data directory is, who is acting, the opened vault.
enum Context {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// True in a command the API runs (`custody serve` sets `CUSTODY_API_FILES` for its children): the
    /// server chose the data directory and the acting officer, in the environment, and nothing on the
    /// command line changes them (`--data` and `--as` are ignored here and refused by `refuseOverrides`).
    static let runsForAPI = environment["CUSTODY_API_FILES"] != nil

    /// Refuses `--data` and `--as` in a command the API runs: the server refuses them before it starts
    /// the command, so one here got past its check (a second guard).
    static func refuseOverrides(_ args: Arguments) throws {
        guard runsForAPI, let given = ["data", "as"].first(where: { args.value($0) != nil }) else { return }
        throw CustodyError.invalidInput(field: "--\(given)", "--\(given) cannot be given over the network: the "
                                        + "server decides the data directory and, from your token, who acts")
    }

    /// `--data`, then `$CUSTODY_DATA`, then `./var/custody` (only `$CUSTODY_DATA` when `runsForAPI`).
    static func directory(_ args: Arguments) -> DataDirectory {
        let path = (runsForAPI ? nil : args.value("data")) ?? environment["CUSTODY_DATA"] ?? "var/custody"
        return DataDirectory(root: URL(fileURLWithPath: path).standardizedFileURL.path)
    }

    /// Vaults this process opened: each gets a signed checkpoint of its ledger when the command ends.
    nonisolated(unsafe) private static var opened = [Vault]()

    static func openVault(_ args: Arguments) throws -> Vault {
        let vault = try Vault(directory: directory(args))
        // An officer ID was given that cannot be one: the ledger records that, not "no acting officer".
        let id = officerID(args)
        if !id.isEmpty && !Actor.isValidID(id) { vault.withoutOfficer = Vault.malformedOfficer }
        opened.append(vault)
        return vault
    }

    /// Signs a checkpoint covering the events this command appended (the CLI is one thread).
    static func checkpointOpenedVaults() throws {
        defer { opened.removeAll() }
        for vault in opened {
            // A catalog change whose Object Lock work waits for the store (`Vault.settleLocks`): said, not failed.
            if let pending = vault.lockWorkPending { Output.note(pending) }
            try vault.checkpoint()
        }
    }

    /// A command line refused before its command ran, recorded when the command's attempts are
    /// (`Command.refusalAction`) and its data directory is a vault; the refusal stands either way.
    static func recordRefusal(_ error: CustodyError, of command: any Command.Type, args: Arguments) {
        guard let action = command.refusalAction, error.isCallersFault, let vault = try? openVault(args) else { return }
        vault.refuse(acting(args), action, reason: error.message)
    }

    /// Who acts: the officer from `--as` or `$CUSTODY_ACTOR`, else the login user (a system actor, which
    /// the vault refuses anything that touches evidence, recording the refusal against it).
    static func acting(_ args: Arguments) -> Actor {
        let id = officerID(args)
        return Actor.isValidID(id) ? .officer(id) : systemUser
    }

    /// The officer ID given, empty if none (only `$CUSTODY_ACTOR` when `runsForAPI`).
    private static func officerID(_ args: Arguments) -> String {
        (runsForAPI ? nil : args.value("as")) ?? environment["CUSTODY_ACTOR"] ?? ""
    }

    /// The file to read for `path`, an input file named on the command line. In a command the API runs
    /// (`custody serve` sets `CUSTODY_API_FILES`), only files the client sent exist: `path` is looked up
    /// among them, and any other path is refused, so no command line read over the network can name a
    /// file of the server's. Otherwise `path` itself.
    static func inputFile(_ path: String, field: String) throws -> String {
        guard let sent = apiFiles else { return path }
        guard let copy = sent[path] else {
            throw CustodyError.invalidInput(field: field, "\(path) was not sent with the command (over the "
                                            + "network, only files the CLI sends can be read)")
        }
        return copy
    }

    /// The files sent with an API command: the client's path of each and where its copy is.
    private static let apiFiles: [String: String]? = environment["CUSTODY_API_FILES"].map { text in
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: String] ?? [:]
    }

    /// Who a refusal is recorded against when no valid officer was given: the login user, never custody
    /// itself (`Actor.system`, which may do what no login may), even for a login named like it.
    private static var systemUser: Actor {
        let user = environment["USER"] ?? ""
        let id = !Actor.isValidID(user) ? "unknown" : user == Actor.system.id ? "login-\(user)" : user
        return Actor(id: id, kind: .system)
    }
}
