import Catalog
import CustodyCore
import Foundation
import Ledger
import POSIX
import SQLite
import Storage

/// What `custody backup` copied.
public struct BackupReport: Sendable {
    public let directory: String
    /// Events and the newest signed checkpoint in the copied catalog.
    public let events: Int64
    public let checkpoint: String?
    /// Chunks in the backup, and how many this run copied (the rest were there from an earlier run).
    public let chunks: Int
    public let copied: Int
    public let copiedBytes: Int64
    /// Chunks the copied catalog names that are in neither the store nor the backup.
    public let missing: [String]
}

/// Backup and restore. A backup folder holds `custody.sqlite` (a consistent snapshot taken with
/// SQLite's online backup API while the service runs), `keys/` (the ledger key pair and the link
/// secret: a backup is as secret as the data directory) and `chunks/`, a chunk store of its own
/// filled by name: a chunk already there is not copied again, and each one copied is checked against
/// its name first. Built bundles, uploads in progress and temporary files are not backed up.
extension Vault {
    static let backupFiles = ["keys/ledger.key", "keys/ledger.pub", "keys/link.secret"]

    /// The key files a backup holds: the three above and every retired key (`keys/retired/`), without
    /// which checkpoints signed before a rotation would not verify after a restore.
    static func keyFiles(in root: String) -> [String] {
        let retired = ((try? FileManager.default.contentsOfDirectory(atPath: root + "/keys/retired")) ?? [])
            .filter { !$0.hasPrefix(".") }.sorted().map { "keys/retired/" + $0 }
        return backupFiles + retired
    }

    /// Backs this vault up into `folder` (made if missing, 0700), incrementally: a supervisor, or the
    /// service account without an officer. Recorded as a `backup` event, before the snapshot, so the
    /// backup holds it.
    public func backup(to folder: String, by actor: Actor, progress: ((Int, Int) -> Void)? = nil) throws
        -> BackupReport {
        let details = ["backup": String(folder.prefix(500))]
        try authorize(actor, to: .backup, details: details)
        try FS.mkdir(folder, 0o700)
        // Compared with symbolic links resolved: a link to the data directory would have the snapshot
        // renamed over the live catalog (and a running service write on into the unlinked one).
        let (real, root) = (Self.realPath(folder), Self.realPath(directory.root))
        guard real != root, !real.hasPrefix(root + "/") else {
            throw refuse(actor, .backup, reason: "the backup folder must be outside the data directory (\(real))",
                         details: details)
        }
        try record(CustodyEvent(actor: actor, action: .backup, details: details))
        try checkpoint()
        for dir in [folder + "/keys", folder + "/keys/retired"] { try FS.mkdir(dir, 0o700) }
        // The snapshot first, so that every chunk it names and every key that signed one of its checkpoints is
        // in the data directory when they are copied, but put in place last: a backup interrupted before that
        // has no custody.sqlite, which `restoreBackup` refuses, and the next run into the folder completes.
        let snapshot = folder + "/custody.sqlite.partial"
        for suffix in ["", "-wal", "-shm"] { unlink(snapshot + suffix) }
        try db.backup(to: snapshot, wal: false)
        chmod(snapshot, 0o600)
        let signers = try Self.checkpointSigners(in: Database(path: snapshot, readOnly: true))
        try copyKeys(into: folder, covering: signers)
        BackupTestHook.reached("keys")
        let target = try FileChunkStore(root: folder + "/chunks")
        let copied = try Self.copyChunks(from: store, to: target, progress: progress)
        let (events, checkpoint, missing) = try Self.summary(of: Database(path: snapshot, readOnly: true), in: target)
        try FS.rename(snapshot, folder + "/custody.sqlite")
        try FS.fsyncDirectory(folder)
        return BackupReport(directory: folder, events: events, checkpoint: checkpoint, chunks: copied.listed,
                            copied: copied.copied, copiedBytes: copied.bytes, missing: missing)
    }

    /// The events, the newest checkpoint and the chunks missing from `store` of the catalog copy `db`.
    private static func summary(of db: Database, in store: ChunkStore) throws
        -> (events: Int64, checkpoint: String?, missing: [String]) {
        (try db.query("SELECT count(*) FROM events").first?.int(0) ?? 0,
         try db.query("SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1").first?.text(0),
         try chunksMissing(named: db, from: store).missing)
    }

    /// `path` with every symbolic link resolved (as given when it cannot be).
    static func realPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The chunks the catalog in `db` names for exhibits not purged (how many), and those of them `store`
    /// does not hold.
    static func chunksMissing(named db: Database, from store: ChunkStore) throws -> (named: Int, missing: [String]) {
        let named = try db.query(DeletionRegistry.chunksInUseQuery).compactMap { $0.text(0) }
        return (named.count, try named.filter { hex in try SHA256Digest(hex: hex).map { try !store.exists($0) } ?? true })
    }

    /// A restored vault checked: the ledger as `ledger verify` does, and every chunk its catalog names.
    public func checkRestored() throws -> (ledger: LedgerReport, chunks: Int, missing: [String]) {
        let chunks = try Self.chunksMissing(named: db, from: store)
        return (try events.verify(verifier: noteVerifier()), chunks.named, chunks.missing)
    }

    /// Copies every chunk of `source` that `target` lacks, several at once, each checked against its name as it
    /// is read (a damaged one stops the copy, naming it). `progress` hears the chunks seen and those copied.
    static func copyChunks(from source: ChunkStore, to target: ChunkStore, progress: ((Int, Int) -> Void)?) throws
        -> ChunkCopy.Progress {
        try ChunkCopy(from: source, to: target, checkExisting: false).all(pageSize: 1000) {
            progress?($0.copied + $0.alreadyThere, $0.copied)
        }
    }

    /// Restores the backup in `folder` into `directory`, which must not exist or be empty: keys,
    /// catalog and every chunk (each checked against its name). Returns the opened vault; the caller
    /// verifies it (`verify`, `verifyLedger`). A backup without its catalog was interrupted: refused.
    public static func restoreBackup(from folder: String, into directory: DataDirectory,
                                     progress: ((Int, Int) -> Void)? = nil) throws -> Vault {
        if !FS.exists(folder + "/custody.sqlite"), FS.entryExists(folder + "/keys") {
            throw CustodyError.conflict(.other, "\(folder) is an incomplete backup: custody.sqlite is missing, so the "
                                        + "backup was interrupted before it finished; run `custody backup \(folder)` "
                                        + "again to complete it, or restore another backup")
        }
        for file in ["custody.sqlite"] + backupFiles where !FS.exists(folder + "/" + file) {
            throw CustodyError.notFound(.file, "\(folder) is not a custody backup: \(file) is missing")
        }
        if FS.entryExists(directory.root),
           !((try? FileManager.default.contentsOfDirectory(atPath: directory.root))?.isEmpty ?? false) {
            throw CustodyError.conflict(.dataDirectory, "\(directory.root) exists and is not empty: restore into a "
                                        + "new folder, never over a data directory")
        }
        try FS.mkdir(directory.root, 0o700)
        try FS.mkdir(directory.keys, 0o700)
        try FS.mkdir(directory.retiredKeys, 0o700)
        for file in keyFiles(in: folder) {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/" + file)))
            try FS.writeFileDurably(directory.root + "/" + file, bytes, mode: file.hasSuffix(".pub") ? 0o644 : 0o600,
                                    scratch: directory.keys)
        }
        try directory.create()  // the folders; the keys are the backup's
        let partial = directory.database + ".partial"
        try Database(path: folder + "/custody.sqlite", readOnly: true).backup(to: partial, wal: true)
        try FS.rename(partial, directory.database)
        chmod(directory.database, 0o600)
        let vault = try Vault(directory: directory)
        _ = try copyChunks(from: try FileChunkStore(root: folder + "/chunks"), to: vault.store, progress: progress)
        try FS.fsyncDirectory(directory.root)
        return vault
    }
}
