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
    /// Chunks in the backup, and how many this run copied (the rest were there from an earlier run). None with
    /// `chunks: false`.
    public let chunks: Int
    public let copied: Int
    public let copiedBytes: Int64
    /// Chunks the copied catalog names that are not in the backup (with `--no-chunks`: that the vault's store
    /// does not list).
    public let missing: [String]
    /// What the backup's manifest says: whether it holds the chunks, and where the catalog keeps them.
    public let manifest: BackupManifest
}

/// Backup and restore. A backup folder holds `custody.sqlite` (a consistent snapshot taken with
/// SQLite's online backup API while the service runs), `keys/` (the ledger key pair and the link
/// secret: a backup is as secret as the data directory) and `chunks/`, a chunk store of its own
/// filled by name: a chunk already there is not copied again, and each one copied is checked against
/// its name first. Built bundles, uploads in progress and temporary files are not backed up.
/// `backup.json` (`BackupManifest`) says whether `chunks/` is there: a backup taken with `chunks: false`
/// (`--no-chunks`, natural for a vault on object storage) leaves them in the vault's store. The S3 credentials
/// are never backed up.
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
    /// backup holds it. `chunks: false`: catalog, ledger and keys only; the chunks the snapshot names are
    /// checked to be listed by the vault's store.
    public func backup(to folder: String, by actor: Actor, chunks: Bool = true,
                       progress: ((Int, Int) -> Void)? = nil) throws -> BackupReport {
        var details = ["backup": String(folder.prefix(500))]
        if !chunks { details["chunks"] = "none" }
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
        let target: ChunkStore = chunks ? try FileChunkStore(root: folder + "/chunks") : store
        let copied = chunks ? try Self.copyChunks(from: store, to: target, progress: progress) : ChunkCopy.Progress()
        let copy = try Database(path: snapshot, readOnly: true)
        let (events, checkpoint, missing) = try Self.summary(of: copy, in: target)
        let manifest = BackupManifest(chunks: chunks, store: try Self.storeSetting(of: copy).description)
        try manifest.write(into: folder)
        try FS.rename(snapshot, folder + "/custody.sqlite")
        try FS.fsyncDirectory(folder)
        return BackupReport(directory: folder, events: events, checkpoint: checkpoint, chunks: copied.listed,
                            copied: copied.copied, copiedBytes: copied.bytes, missing: missing, manifest: manifest)
    }

    /// Where the catalog copy `db` says the chunks are.
    static func storeSetting(of db: Database) throws -> StoreLocation {
        let text = try db.query("SELECT value FROM settings WHERE key = ?", [.text(StoreLocation.settingName)])
            .first?.text(0)
        return try StoreLocation(text ?? "files", field: StoreLocation.settingName)
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
    /// does not list (one listing, not a request per chunk).
    static func chunksMissing(named db: Database, from store: ChunkStore) throws -> (named: Int, missing: [String]) {
        let named = try db.query(DeletionRegistry.chunksInUseQuery).compactMap { $0.text(0) }
        let digests = named.compactMap(SHA256Digest.init(hex:))
        let unreadable = named.filter { SHA256Digest(hex: $0) == nil }
        return (named.count, unreadable + (try store.unlisted(digests).map(\.hex)))
    }

    /// Copies every chunk of `source` that `target` lacks, several at once, each checked against its name as it
    /// is read (a damaged one stops the copy, naming it). `progress` hears the chunks seen and those copied.
    static func copyChunks(from source: ChunkStore, to target: ChunkStore, progress: ((Int, Int) -> Void)?) throws
        -> ChunkCopy.Progress {
        try ChunkCopy(from: source, to: target, checkExisting: false).all(pageSize: 1000) {
            progress?($0.copied + $0.alreadyThere, $0.copied)
        }
    }
}
