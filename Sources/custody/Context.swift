import Catalog
import CustodyCore
import Foundation
import Ledger
import Vault

/// What most commands share: where the data directory is, who is acting, the opened vault.
enum Context {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// `--data`, then `$CUSTODY_DATA`, then `./var/custody`.
    static func directory(_ args: Arguments) -> DataDirectory {
        let path = args.value("data") ?? environment["CUSTODY_DATA"] ?? "var/custody"
        return DataDirectory(root: URL(fileURLWithPath: path).standardizedFileURL.path)
    }

    /// Vaults this process opened: each gets a signed checkpoint of its ledger when the command ends.
    nonisolated(unsafe) private static var opened = [Vault]()

    static func openVault(_ args: Arguments) throws -> Vault {
        let vault = try Vault(directory: directory(args))
        opened.append(vault)
        return vault
    }

    /// Signs a checkpoint covering the events this command appended (the CLI is one thread).
    static func checkpointOpenedVaults() throws {
        defer { opened.removeAll() }
        for vault in opened { try vault.checkpoint() }
    }

    /// The exhibit `reference` names. An attempt on one that does not exist is an access attempt too:
    /// recorded as refused (by the acting officer, or the system user when none is given).
    static func exhibit(_ reference: String, in vault: Vault, args: Arguments, action: CustodyEvent.Action) throws
        -> Exhibit {
        do { return try vault.catalog.find(reference) } catch let e as CustodyError where e.kind == .usage {
            _ = try? vault.record(CustodyEvent(actor: refusalActor(args), action: action, outcome: .refused,
                                               reason: e.message,
                                               details: ["reference": String(reference.prefix(100))]))
            throw e
        }
    }

    /// A command line refused before its command ran, recorded when the command's attempts are
    /// (`Command.refusalAction`) and its data directory is a vault; the refusal stands either way.
    static func recordRefusal(_ error: CustodyError, of command: any Command.Type, args: Arguments) {
        guard let action = command.refusalAction, error.kind == .usage || error.kind == .refused,
              let vault = try? openVault(args) else { return }
        _ = try? vault.record(CustodyEvent(actor: refusalActor(args), action: action, outcome: .refused,
                                           reason: String(error.message.prefix(1000))))
    }

    /// Who a refusal is recorded against: the officer given, else the system user.
    private static func refusalActor(_ args: Arguments) -> Actor {
        let id = args.value("as") ?? environment["CUSTODY_ACTOR"] ?? ""
        return Actor.isValidID(id) ? Actor.officer(id) : systemUser
    }

    /// Who a refusal is recorded against when no valid officer was given: the login user.
    private static var systemUser: Actor {
        Actor(id: Actor.isValidID(environment["USER"] ?? "") ? environment["USER"]! : "unknown", kind: .system)
    }

    /// The acting officer from `--as` or `$CUSTODY_ACTOR`. Without one, a command that touches
    /// evidence is refused, and the refusal itself is a custody event.
    static func actor(_ args: Arguments, vault: Vault?, action: CustodyEvent.Action, exhibit: String? = nil) throws -> Actor {
        let id = args.value("as") ?? environment["CUSTODY_ACTOR"].flatMap { $0.isEmpty ? nil : $0 }
        if let id, Actor.isValidID(id) { return .officer(id) }
        let reason = id == nil
            ? "no acting officer: give --as ID or set CUSTODY_ACTOR"
            : "acting officer ID must be 1-64 letters, digits or ._@- characters"
        _ = try? vault?.record(CustodyEvent(actor: systemUser, action: action, exhibit: exhibit, outcome: .refused,
                                            reason: reason))
        throw CustodyError.refused(reason)
    }
}
