import CustodyCore
import Foundation
import Ledger
import Vault

struct StoreMigrateCommand: OptionsOnlyCommand {
    static let name = "store migrate"
    static let summary = "Move the vault's chunks to an S3 store while it runs, then switch to it."
    static let usage = """
        store migrate --to s3://BUCKET/PREFIX?endpoint=https://HOST:PORT&region=R[&lock=MODE] [--as ID]
                      [--data DIR] [--json]

        Copies every chunk (each checked against its SHA-256 on reading, written with the PUT checks),
        checks every chunk an exhibit references is in the new store, then switches the vault to it (a
        `key` event). Killed part-way, run it again: what the new store holds intact is not copied again.
        Credentials as for `init --store`: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (saved to
        keys/s3.credentials, 0600, when that file does not exist) or that file. The old store is left as
        it was. Supervisors only. Progress goes to stderr.
        """
    static let refusalAction: CustodyEvent.Action? = .key
    static let options: [OptionSpec] = [.actor, .data, .json,
                                        .option("to", "LOCATION", "the s3:// store to move the chunks to")]

    let args: Arguments

    func run() throws -> Int32 {
        guard let text = args.value("to") else {
            throw CustodyError.invalidInput(field: "--to", "missing --to s3://BUCKET/PREFIX?endpoint=...&region=...")
        }
        let target = try StoreLocation(text, field: "--to")
        var lastNote = Date()
        let report = try Context.openVault(args).migrateStore(to: target, by: Context.acting(args)) { r in
            guard Date().timeIntervalSince(lastNote) >= 2 else { return }
            lastNote = Date()
            Output.note("store migrate: \(r.listed) chunks listed, \(r.copied) copied, \(r.alreadyThere) there already")
        }
        if args.flag("json") {
            var o: [String: Any] = ["from": report.from.description, "to": report.to.description,
                                    "listed": report.listed, "copied": report.copied,
                                    "already_there": report.alreadyThere, "checked": report.checked,
                                    "caught_up": report.caughtUp]
            o["locks"] = report.locks.map(StoreJSON.locks) ?? NSNull()
            o["lock_failure"] = report.lockFailure ?? NSNull()
            Output.json(o)
        } else {
            print("Copied \(report.copied) chunks (\(report.alreadyThere) were there already), checked "
                  + "\(report.checked) referenced chunks: the vault now keeps its chunks in \(report.to).")
            if let failure = report.lockFailure {
                Output.note("the new store's Object Lock was not brought to the rules yet (\(failure)); "
                            + "run `custody store sync-locks`")
            }
        }
        return 0
    }
}
