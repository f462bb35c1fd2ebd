import Catalog
import CustodyCore
import Foundation
import Ledger
import Storage
import Vault

struct BackupCommand: Command {
    static let name = "backup"
    static let summary = "Back the vault up into a folder while the service runs; later runs copy only new chunks."
    static let usage = """
        backup DIR [--no-chunks] [--data DIR] [--json]

        DIR gets custody.sqlite (a consistent snapshot of the catalog and ledger, taken with SQLite's online
        backup API while `custody serve` keeps working), keys/ (the ledger key pair and the link secret:
        keep the backup as safe as the data directory), chunks/ (every chunk, each checked against its
        SHA-256 as it is read; a chunk already in DIR is not copied again) and backup.json (what it holds).
        With --no-chunks, no chunks/: they stay in the vault's store (natural for an S3 bucket, whose
        Object Lock keeps them), which is checked to list every chunk the snapshot names. Not backed up:
        built bundles (made again by `custody bundle create`), uploads in progress (docks send them again),
        the S3 credentials. Recorded in the ledger (a `backup` event, in the backup). Run it as the service
        account. Exit 1 if a chunk the catalog names could not be backed up (or is not in the store).
        """
    static let options: [OptionSpec] = [.data, .json,
                                        .flag("no-chunks", "back up catalog, ledger and keys; leave the chunks in the "
                                              + "vault's store")]
    static let refusalAction: CustodyEvent.Action? = .backup

    let args: Arguments
    let folder: String

    init(_ args: Arguments) throws {
        folder = URL(fileURLWithPath: try args.positionals(exactly: ["DIR"])[0]).standardizedFileURL.path
        self.args = args
    }

    func run() throws -> Int32 {
        let vault = try Context.openVault(args)
        guard folder != vault.directory.root, !folder.hasPrefix(vault.directory.root + "/") else {
            throw CustodyError.invalidInput(field: "DIR", "the backup folder must be outside the data directory")
        }
        let bar = ProgressBar("backup", unit: "chunks")
        let withChunks = !args.flag("no-chunks")
        let report = try vault.backup(to: folder, by: Context.acting(args), chunks: withChunks) { seen, _ in
            bar.update(Int64(seen), 0)
        }
        bar.finish()
        if args.flag("json") {
            Output.json(["backup": report.directory, "events": report.events, "checkpoint": report.checkpoint as Any,
                         "chunks": report.chunks, "copied": report.copied, "copied_bytes": report.copiedBytes,
                         "chunks_included": withChunks, "chunk_store": report.manifest.store,
                         "missing": report.missing, "ok": report.missing.isEmpty])
        } else if withChunks {
            print("Backed up \(report.events) events and \(report.chunks) chunks into \(report.directory) "
                  + "(\(report.copied) new, \(Format.bytes(report.copiedBytes))).")
            for chunk in report.missing { print("MISSING  chunk \(chunk): named by the catalog, in no store") }
        } else {
            print("Backed up \(report.events) events into \(report.directory), without chunks: they stay in "
                  + "\(report.manifest.store).")
            for chunk in report.missing { print("MISSING  chunk \(chunk): named by the catalog, not in the store") }
        }
        return report.missing.isEmpty ? 0 : 1
    }
}

struct RestoreBackupCommand: Command {
    static let name = "restore-backup"
    static let summary = "Restore a backup into a new data directory, checking every chunk and the ledger."
    static let usage = """
        restore-backup DIR --data NEW [--json]

        NEW must not exist or be empty (never restore over a data directory). Copies the keys, the catalog
        and every chunk (each checked against its SHA-256), then checks the ledger as `ledger verify` does
        and that every chunk the catalog names is there. Then run `custody verify` and, with a checkpoint
        kept from before the backup, `custody ledger verify --checkpoint FILE` on NEW. Exit 1 if a check fails.
        A backup taken with --no-chunks is restored only when its catalog keeps the chunks in an S3 bucket
        that lists every one it names (checked by listing before anything is written; their bytes are read
        by `custody verify`). Its credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, saved to
        NEW/keys/s3.credentials (0600).
        """
    static let options: [OptionSpec] = [.data, .json]

    let args: Arguments
    let folder: String

    init(_ args: Arguments) throws {
        folder = try args.positionals(exactly: ["DIR"])[0]
        guard args.value("data") != nil else {
            throw CustodyError.invalidInput(field: "--data",
                                            "missing --data NEW: the new data directory to restore into")
        }
        self.args = args
    }

    func run() throws -> Int32 {
        let bar = ProgressBar("restore", unit: "chunks")
        let vault = try Vault.restoreBackup(from: folder, into: Context.directory(args)) { seen, _ in
            bar.update(Int64(seen), 0)
        }
        bar.finish()
        let (ledger, chunks, missing) = try vault.checkRestored()
        let manifest = try BackupManifest.read(from: folder)
        let ok = ledger.isIntact && missing.isEmpty
        if args.flag("json") {
            Output.json(["restored": vault.directory.root, "events": ledger.size, "ledger_intact": ledger.isIntact,
                         "ledger_problems": ledger.problems, "chunks": chunks, "missing_chunks": missing,
                         "chunks_included": manifest.chunks, "chunk_store": try vault.storeLocation().description,
                         "ok": ok])
        } else {
            for p in ledger.problems { print("LEDGER  \(p)".escapedForTerminal) }
            for chunk in missing { print("MISSING  chunk \(chunk)") }
            if !manifest.chunks && missing.isEmpty {
                print("The backup held no chunks: \(try vault.storeLocation()) lists all \(chunks) the catalog "
                      + "names (listed, not read: run `custody verify` to read them).")
            }
            print(ok ? "Restored into \(vault.directory.root): \(ledger.size) events and \(chunks) chunks "
                       + "check out."
                     : "FAILED: the restored vault does not check out (above).")
        }
        return ok ? 0 : 1
    }
}
