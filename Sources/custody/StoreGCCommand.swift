import CustodyCore
import Foundation
import Ledger
import Vault

struct StoreGCCommand: Command {
    static let name = "store gc"
    static let summary = "Delete the store's objects that no exhibit references, older than a grace period."
    static let usage = """
        store gc [--older-than DURATION] [--dry-run] [--as ID] [--data DIR] [--json]

        An object counts as referenced while a live or restorable exhibit names it, or a purged one whose
        chunks are not freed yet. DURATION (default 1d; 90s, 30m, 36h, 2d) leaves alone what was written
        since: an ingest stores its chunks before it catalogues them. Objects the store keeps under Object
        Lock are listed and stay. Supervisors only; a `retention` event before anything is deleted.
        Progress goes to stderr.
        """
    static let refusalAction: CustodyEvent.Action? = .retention
    static let options: [OptionSpec] = [.actor, .data, .json,
                                        .option("older-than", "DURATION", "grace period (default 1d)"),
                                        .flag("dry-run", "list what would be deleted; delete nothing")]

    let args: Arguments
    let grace: Int64

    init(_ args: Arguments) throws {
        _ = try args.positionals(exactly: [])
        self.args = args
        grace = try args.value("older-than").map(Self.duration) ?? Vault.defaultGCGrace
    }

    /// `90s`, `30m`, `36h`, `2d`: a whole number of seconds, minutes, hours or days (0 allowed), at most 10 years.
    static func duration(_ text: String) throws -> Int64 {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
        guard let last = text.last, let unit = units[last], let n = Int64(text.dropLast()), n >= 0,
              text.first != "+", n <= 3_650 * 86_400 / unit else {
            throw CustodyError.invalidInput(field: "--older-than", "--older-than must be a whole number of seconds, "
                                            + "minutes, hours or days (90s, 30m, 36h, 2d), not \(text.prefix(40))")
        }
        return n * unit
    }

    func run() throws -> Int32 {
        var lastNote = Date()
        let started = Date()
        let report = try Context.openVault(args).collectGarbage(
            olderThan: grace, dryRun: args.flag("dry-run"), by: Context.acting(args)) { listed, deleted in
            guard Date().timeIntervalSince(lastNote) >= 2 else { return }
            lastNote = Date()
            Output.note("store gc: \(listed) objects listed, \(deleted) deleted, "
                        + "\(Int(Date().timeIntervalSince(started))) s")
        }
        if args.flag("json") {
            Output.json(["dry_run": report.dryRun, "older_than_seconds": report.olderThan, "listed": report.listed,
                         "young_unreferenced": report.young, "deleted": report.deleted.map(\.hex),
                         "locked": report.locked.map { ["chunk": $0.chunk.hex, "until": StoreJSON.time($0.until)] }])
            return 0
        }
        let verb = report.dryRun ? "WOULD DELETE" : "DELETED"
        for chunk in report.deleted { print("\(verb)  \(chunk.hex)") }
        for kept in report.locked {
            print("LOCKED  \(kept.chunk.hex)  until \(StoreJSON.time(kept.until) as? String ?? "a legal hold ends")")
        }
        print("Listed \(report.listed) objects: \(report.deleted.count) unreferenced \(report.dryRun ? "would be " : "")"
              + "deleted, \(report.locked.count) kept by their lock, \(report.young) unreferenced but younger than "
              + "the grace period.")
        return 0
    }
}
