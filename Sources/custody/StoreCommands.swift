import CustodyCore
import Foundation
import Ledger
import Vault

struct StoreShowCommand: OptionsOnlyCommand {
    static let name = "store show"
    static let summary = "Show where the vault keeps its chunks, its lock mode, and whether the store answers."
    static let usage = """
        store show [--as ID] [--data DIR] [--json]

        The location never carries credentials; for an S3 store this says where they come from (the
        environment or keys/s3.credentials), not what they are. Exit 0 whether or not the store answers.
        """
    static let refusalAction: CustodyEvent.Action? = .view
    static let options: [OptionSpec] = [.actor, .data, .json]

    let args: Arguments

    func run() throws -> Int32 {
        let status = try Context.openVault(args).storeStatus(for: Context.acting(args))
        var lock: String?
        var kind = "files"
        if case .s3(_, let mode) = status.location {
            kind = "s3"
            lock = mode?.rawValue
        }
        if args.flag("json") {
            var o: [String: Any] = ["store": status.location.description, "kind": kind, "reachable": status.reachable,
                                    "locked_deletions": status.lockedDeletions]
            o["lock"] = lock ?? NSNull()
            o["credentials"] = status.credentials ?? NSNull()
            o["problem"] = status.problem ?? NSNull()
            Output.json(o)
        } else {
            print("Store:       \(status.location)".escapedForTerminal)
            print("Object Lock: \(lock ?? "none")")
            if kind == "s3" { print("Credentials: \(status.credentials ?? "none found")".escapedForTerminal) }
            print("Reachable:   \(status.reachable ? "yes" : "no: \(status.problem ?? "")")".escapedForTerminal)
            if status.lockedDeletions > 0 {
                print("Freed chunks kept by their lock until it ends: \(status.lockedDeletions)")
            }
        }
        return 0
    }
}

struct StoreSyncLocksCommand: OptionsOnlyCommand {
    static let name = "store sync-locks"
    static let summary = "Bring the store's Object Lock dates and legal holds to what retention says now."
    static let usage = """
        store sync-locks [--as ID] [--data DIR] [--json]

        Each chunk's retention date is moved later where its exhibits' rules now need it (never earlier),
        and its legal hold set or cleared as the holds stand. Catalog changes do this themselves; when the
        store could not be reached then, this (or the next retention run) does the rest. Nothing to do for
        a store without a lock. Supervisors only; a `retention` event when anything changed.
        """
    static let refusalAction: CustodyEvent.Action? = .retention
    static let options: [OptionSpec] = [.actor, .data, .json]

    let args: Arguments

    func run() throws -> Int32 {
        let report = try Context.openVault(args).syncStoreLocks(by: Context.acting(args))
        if args.flag("json") {
            Output.json(StoreJSON.locks(report))
        } else if !report.locking {
            print("This store does not lock chunks: nothing to do.")
        } else {
            print("Read \(report.read), extended \(report.extended), legal hold set on \(report.held), "
                  + "cleared on \(report.released).")
            for chunk in report.missing { print("MISSING  \(chunk.hex): named by an exhibit, not in the store") }
        }
        return report.missing.isEmpty ? 0 : 1
    }
}

/// JSON shapes of the store commands.
enum StoreJSON {
    static func locks(_ r: LockSyncReport) -> [String: Any] {
        ["locking": r.locking, "read": r.read, "extended": r.extended, "held": r.held, "released": r.released,
         "missing": r.missing.map(\.hex)]
    }

    static func time(_ seconds: Int64?) -> Any {
        seconds.map { Timestamp.rfc3339(Date(timeIntervalSince1970: Double($0))) } ?? NSNull()
    }
}
