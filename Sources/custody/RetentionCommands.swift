import Catalog
import CustodyCore
import Foundation
import Ledger
import Vault

/// The JSON shape of a retention category in `category add --json` and `category list --json`.
enum CategoryJSON {
    static func object(_ c: RetentionRegistry.Category) -> [String: Any] {
        ["name": c.name, "keep": RetentionPeriod.format(c.keepSeconds), "keep_seconds": c.keepSeconds,
         "created_at": c.createdAt, "created_by": c.createdBy]
    }
}

struct CategoryAddCommand: Command {
    static let name = "category add"
    static let summary = "Add a retention category (how long its exhibits are kept), or change one's period."
    static let usage = """
        category add NAME --keep DURATION [--as ID] [--data DIR] [--json]

        DURATION is whole hours, days or years (36h, 31d, 7y; a year is 365 days), at most 100y, counted
        from an exhibit's capture (its ingest when the capture time is unknown). NAME is 1-64 letters,
        digits or ._- characters. `non-evidential` (31d) exists from the start: it is every exhibit's
        category until it is categorised. Supervisors only; a `retention` event.
        """
    static let refusalAction: CustodyEvent.Action? = .retention
    static let options: [OptionSpec] = [.actor, .data, .json,
                                        .option("keep", "DURATION", "how long after capture (36h, 31d, 7y)")]

    let args: Arguments
    let category: String
    let keep: Int64

    init(_ args: Arguments) throws {
        category = try args.positionals(exactly: ["NAME"])[0]
        guard let keep = args.value("keep") else {
            throw CustodyError.invalidInput(field: "--keep", "missing --keep DURATION (36h, 31d, 7y)")
        }
        self.keep = try RetentionPeriod.parse(keep)
        self.args = args
    }

    func run() throws -> Int32 {
        let (category, before) = try Context.openVault(args).setCategory(self.category, keepSeconds: keep,
                                                                         by: Context.acting(args))
        if args.flag("json") {
            var o = CategoryJSON.object(category)
            o["before"] = before.map(RetentionPeriod.format)
            Output.json(o)
        } else if let before {
            print("Category \(category.name): kept \(RetentionPeriod.format(keep)) after capture "
                  + "(was \(RetentionPeriod.format(before))).")
        } else {
            print("Added category \(category.name): kept \(RetentionPeriod.format(keep)) after capture.")
        }
        return 0
    }
}

struct CategoryListCommand: OptionsOnlyCommand {
    static let name = "category list"
    static let summary = "List the retention categories and their periods."
    static let usage = "category list [--as ID] [--data DIR] [--json]"
    static let refusalAction: CustodyEvent.Action? = .view
    static let options: [OptionSpec] = [.actor, .data, .json]

    let args: Arguments

    func run() throws -> Int32 {
        let categories = try Context.openVault(args).categories(for: Context.acting(args))
        if args.flag("json") {
            Output.json(categories.map(CategoryJSON.object))
        } else {
            print(Output.table(categories.map { c in
                [c.name, RetentionPeriod.format(c.keepSeconds), c.createdAt, c.createdBy]
            }), terminator: "")
        }
        return 0
    }
}

struct ExhibitCategoriseCommand: Command {
    static let name = "exhibit categorise"
    static let summary = "Put an exhibit in a retention category (a `retention` event)."
    static let usage = """
        exhibit categorise EXHIBIT CATEGORY [--as ID] [--data DIR] [--json]

        EXHIBIT is a catalog ID (EX-000001) or a unique SHA-256 prefix. The category's period then
        applies to it, counted from its capture; where a hold, an open case or its parent keeps it
        longer, that wins (see README, Retention).
        """
    static let refusalAction: CustodyEvent.Action? = .retention
    static let options: [OptionSpec] = [.actor, .data, .json]

    let args: Arguments
    let exhibit: String
    let category: String

    init(_ args: Arguments) throws {
        let p = try args.positionals(exactly: ["EXHIBIT", "CATEGORY"])
        (exhibit, category) = (p[0], p[1])
        self.args = args
    }

    func run() throws -> Int32 {
        let r = try Context.openVault(args).categorise(exhibit, as: category, by: Context.acting(args))
        if args.flag("json") {
            var o: [String: Any] = ["id": r.exhibit.id, "sha256": r.exhibit.sha256.hex, "category": r.category]
            o["before"] = r.before
            Output.json(o)
        } else {
            print("\(r.exhibit.id) is now \(r.category) (was \(r.before ?? "uncategorised")).")
        }
        return 0
    }
}

struct RetentionRunCommand: OptionsOnlyCommand {
    static let name = "retention run"
    static let summary = "Delete what retention says is due and purge deletions older than 7 days."
    static let usage = """
        retention run [--dry-run] [--as ID] [--data DIR] [--json]

        Each deletion is a `delete` event; a deleted exhibit is hidden, and `custody restore` brings it
        back for 7 days, after which a run purges it: its chunks that no other exhibit uses are removed.
        --dry-run changes nothing and says what a run would do (any role that reads retention may).
        A deletion a hold or open case keeps again is restored instead of purged. A period counts from
        the later of capture and ingest; exhibits captured more than a day from their ingest are listed
        (CLOCK) so a wrong camera clock is seen. `custody serve` runs this daily.
        """
    static let refusalAction: CustodyEvent.Action? = .retention
    static let options: [OptionSpec] = [.actor, .data, .json,
                                        .flag("dry-run", "say what would be deleted and purged; change nothing")]

    let args: Arguments

    func run() throws -> Int32 {
        let report = try Context.openVault(args).runRetention(by: Context.acting(args), dryRun: args.flag("dry-run"))
        if args.flag("json") {
            Output.json(RetentionJSON.object(report))
            return 0
        }
        let verb = report.dryRun ? "would delete" : "deleted"
        for d in report.deleted {
            print("\(verb.uppercased())  \(d.exhibit.id)  \(d.exhibit.sha256.hex.prefix(16))  \(d.category), "
                  + "due \(d.due.map(RetentionJSON.time) ?? "-")")
        }
        for p in report.purged {
            print("\(report.dryRun ? "WOULD PURGE" : "PURGED")  \(p.exhibit)  \(p.chunks) chunks, "
                  + "\(Format.bytes(p.bytes)) freed")
        }
        for r in report.restored {
            print(("\(report.dryRun ? "WOULD RESTORE" : "RESTORED")  \(r.exhibit)  kept again before its purge: "
                   + r.why).escapedForTerminal)
        }
        for c in report.lockedChunks {
            print("LOCKED  \(c.chunk.hex)  freed by \(c.exhibit), kept by the store's lock until "
                  + "\(c.lockedUntil.map(RetentionJSON.time) ?? "its legal hold ends"); a later run deletes it")
        }
        if report.freedAfterLock > 0 { print("Deleted \(report.freedAfterLock) freed chunks whose lock has ended.") }
        if let failure = report.lockFailure {
            Output.note(("the store's Object Lock was not brought up to date: \(failure); the next run or "
                         + "`custody store sync-locks` does it").escapedForTerminal)
        }
        for e in report.captureFarFromIngest {
            print(("CLOCK  \(e.id)  captured \(e.capturedAt ?? "-"), ingested \(e.ingestedAt): its period counts "
                   + "from the later (check the camera's clock)").escapedForTerminal)
        }
        print("\(report.dryRun ? "Dry run: would delete" : "Deleted") \(report.deleted.count), "
              + "\(report.dryRun ? "would purge" : "purged") \(report.purged.count), kept \(report.kept).")
        return 0
    }
}

struct RestoreCommand: Command {
    static let name = "restore"
    static let summary = "Bring back an exhibit retention deleted, within 7 days of its deletion."
    static let usage = """
        restore EXHIBIT [--as ID] [--data DIR] [--json]

        A `restore` event. An exhibit still due is deleted again by the next run: hold it, put it in an
        open case or categorise it for longer first. Supervisors only.
        """
    static let refusalAction: CustodyEvent.Action? = .restore
    static let options: [OptionSpec] = [.actor, .data, .json]

    let args: Arguments
    let exhibit: String

    init(_ args: Arguments) throws {
        exhibit = try args.positionals(exactly: ["EXHIBIT"])[0]
        self.args = args
    }

    func run() throws -> Int32 {
        let (exhibit, deletion) = try Context.openVault(args).restore(self.exhibit, by: Context.acting(args))
        if args.flag("json") {
            Output.json(["id": exhibit.id, "sha256": exhibit.sha256.hex, "deleted_event": deletion.event,
                         "deleted_at": RetentionJSON.time(deletion.deletedAt)])
        } else {
            print("Restored \(exhibit.id) (deleted \(RetentionJSON.time(deletion.deletedAt))).")
            Output.note("unless it is held, in an open case or categorised for longer, the next retention run "
                        + "deletes it again")
        }
        return 0
    }
}

/// The JSON shape of `retention run --json`.
enum RetentionJSON {
    static func object(_ report: RetentionRunReport) -> [String: Any] {
        ["now": time(report.now), "dry_run": report.dryRun, "kept": report.kept,
         "deleted": report.deleted.map { d -> [String: Any] in
             var o: [String: Any] = ["id": d.exhibit.id, "sha256": d.exhibit.sha256.hex, "category": d.category]
             o["due"] = d.due.map(time)
             return o
         },
         "purged": report.purged.map { p -> [String: Any] in
             ["id": p.exhibit, "sha256": p.sha256, "chunks_freed": p.chunks, "bytes_freed": p.bytes]
         },
         "restored": report.restored.map { ["id": $0.exhibit, "kept": $0.why] },
         "capture_far_from_ingest": report.captureFarFromIngest.map { e -> [String: Any] in
             ["id": e.id, "captured_at": e.capturedAt ?? NSNull(), "ingested_at": e.ingestedAt]
         },
         "locked_chunks": report.lockedChunks.map { c -> [String: Any] in
             ["chunk": c.chunk.hex, "exhibit": c.exhibit, "bytes": c.size,
              "locked_until": c.lockedUntil.map(time) ?? NSNull()]
         },
         "chunks_freed_after_lock": report.freedAfterLock,
         "locks": report.locks.map(StoreJSON.locks) ?? NSNull(),
         "lock_failure": report.lockFailure ?? NSNull()]
    }

    static func time(_ seconds: Int64) -> String { Timestamp.rfc3339(Date(timeIntervalSince1970: Double(seconds))) }
}
