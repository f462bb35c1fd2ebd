import Catalog
import CustodyCore
import Foundation
import Ledger
import POSIX
import SQLite
import Storage

/// What a backup holds, written as `backup.json` beside its catalog. A backup from before the manifest has the
/// chunks.
public struct BackupManifest: Sendable, Equatable {
    static let file = "backup.json"
    /// False: taken with `--no-chunks`, the backup holds no `chunks/`: they stay in `store`.
    public let chunks: Bool
    /// Where the backed-up catalog keeps its chunks (`files`, or an s3:// location; never a credential).
    public let store: String

    public init(chunks: Bool, store: String) {
        self.chunks = chunks
        self.store = store
    }

    /// The manifest of the backup in `folder`.
    public static func read(from folder: String) throws -> BackupManifest {
        let path = folder + "/" + file
        guard FS.exists(path) else { return BackupManifest(chunks: true, store: "files") }
        guard let object = try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
                as? [String: Any], let chunks = object["chunks"] as? String, ["included", "none"].contains(chunks),
              let store = object["chunk_store"] as? String else {
            throw CustodyError.integrity("\(path) is not a backup manifest (chunks: included or none, chunk_store)")
        }
        return BackupManifest(chunks: chunks == "included", store: store)
    }

    func write(into folder: String) throws {
        let object: [String: Any] = ["format": 1, "chunks": chunks ? "included" : "none", "chunk_store": store]
        let bytes = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
        try FS.writeFileDurably(folder + "/" + Self.file, Array(bytes) + [0x0A], mode: 0o600, scratch: folder + "/keys")
    }
}

/// `custody restore-backup`: a backup brought back into a new data directory, and checked.
extension Vault {
    /// A restored vault checked: the ledger as `ledger verify` does, and every chunk its catalog names.
    public func checkRestored() throws -> (ledger: LedgerReport, chunks: Int, missing: [String]) {
        let chunks = try Self.chunksMissing(named: db, from: store)
        return (try events.verify(verifier: noteVerifier()), chunks.named, chunks.missing)
    }

    /// Restores the backup in `folder` into `directory`, which must not exist or be empty: keys,
    /// catalog and every chunk (each checked against its name). Returns the opened vault; the caller
    /// verifies it (`verify`, `verifyLedger`). A backup without its catalog was interrupted: refused.
    /// A backup without chunks (`BackupManifest.chunks` false) is restored only when the store its catalog
    /// names is an S3 bucket that lists every chunk the catalog names (`checkStoreHolds`); nothing is
    /// written before. The S3 credentials come from the environment and are saved as `init` saves them.
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
        let catalogCopy = try Database(path: folder + "/custody.sqlite", readOnly: true)
        let location = try storeSetting(of: catalogCopy)
        let manifest = try BackupManifest.read(from: folder)
        if !manifest.chunks { try checkStoreHolds(chunksNamedBy: catalogCopy, location, backup: folder) }
        try FS.mkdir(directory.root, 0o700)
        try FS.mkdir(directory.keys, 0o700)
        try FS.mkdir(directory.retiredKeys, 0o700)
        for file in keyFiles(in: folder) {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/" + file)))
            try FS.writeFileDurably(directory.root + "/" + file, bytes, mode: file.hasSuffix(".pub") ? 0o644 : 0o600,
                                    scratch: directory.keys)
        }
        _ = try saveCredentials(for: location, in: directory)
        try directory.create()  // the folders; the keys are the backup's
        let partial = directory.database + ".partial"
        try catalogCopy.backup(to: partial, wal: true)
        try FS.rename(partial, directory.database)
        chmod(directory.database, 0o600)
        let vault = try Vault(directory: directory)
        if manifest.chunks {
            _ = try copyChunks(from: try FileChunkStore(root: folder + "/chunks"), to: vault.store, progress: progress)
        }
        try FS.fsyncDirectory(directory.root)
        return vault
    }

    /// Before a backup without chunks is restored: the store its catalog names must be an S3 bucket that lists
    /// every chunk the catalog names (listed, not read: `custody verify` reads them). Refused otherwise, saying
    /// why; the credentials come from the environment.
    static func checkStoreHolds(chunksNamedBy catalog: Database, _ location: StoreLocation, backup folder: String)
        throws {
        guard case .s3(let s3, let mode) = location else {
            throw CustodyError.conflict(.other, "\(folder) holds no chunks (taken with --no-chunks) and its vault kept "
                                        + "them in its own chunks/ folder, which no restore can reach: restore a "
                                        + "backup taken without --no-chunks")
        }
        let missing: (named: Int, missing: [String])
        do {
            let store = try openS3(s3, lock: mode, credentialsFile: nil,
                                   lockSeconds: { RetentionRegistry.defaultKeepSeconds })
            missing = try chunksMissing(named: catalog, from: store)
        } catch {
            throw CustodyError.failure("\(folder) holds no chunks (taken with --no-chunks), and their store "
                                       + "\(location) could not be checked: \(error); nothing was restored",
                                       cause: error)
        }
        if let first = missing.missing.first {
            throw CustodyError.conflict(.other, "\(folder) holds no chunks (taken with --no-chunks), and their store "
                                        + "\(location) does not list \(missing.missing.count) of the \(missing.named) "
                                        + "chunks its catalog names (the first: \(first)); nothing was restored")
        }
    }
}
