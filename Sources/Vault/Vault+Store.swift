import Catalog
import CustodyCore
import Foundation
import ObjectStore
import POSIX
import SQLite
import Storage

extension Vault {
    /// The file holding the S3 access key pair when the environment gives none (0600, never in backups).
    public static func credentialsFile(of directory: DataDirectory) -> String { directory.keys + "/s3.credentials" }

    /// The store the catalog names: `chunks/`, or an S3 bucket opened on first use (`DeferredChunkStore`).
    static func openStore(_ location: StoreLocation, directory: DataDirectory, lockSeconds: @escaping () throws -> Int64)
        throws -> any ChunkStore {
        switch location {
        case .files:
            return try FileChunkStore(root: directory.chunks, scratch: directory.scratch(renamingInto: directory.chunks))
        case .s3(let s3, let mode):
            // A failed open is remembered by `S3Buckets` for the whole process (30 s), not by each handle: once
            // the store answers again (`checkStore(again:)`), every handle uses it.
            return DeferredChunkStore(retryAfter: 0) {
                try Self.openS3(s3, lock: mode, credentialsFile: Self.credentialsFile(of: directory),
                                lockSeconds: lockSeconds)
            }
        }
    }

    /// Opens the bucket: credentials from the environment or `credentialsFile`, Object Lock checked (once per
    /// process: `S3Buckets`).
    /// `explicitCredentials`: a file named on the command line, which wins over the environment.
    static func openS3(_ location: S3Location, lock mode: S3ChunkStore.ObjectLock.Mode?, credentialsFile: String?,
                       explicitCredentials: String? = nil, lockSeconds: () throws -> Int64) throws -> S3ChunkStore {
        guard let credentials = try S3Credentials.load(environment: ProcessInfo.processInfo.environment,
                                                       file: credentialsFile, explicit: explicitCredentials) else {
            throw CustodyError(.refused, "no S3 credentials for \(location): set AWS_ACCESS_KEY_ID and "
                               + "AWS_SECRET_ACCESS_KEY, or write them to \(credentialsFile ?? "a credentials file") (0600)")
        }
        do {
            let lock = try mode.map { S3ChunkStore.ObjectLock(mode: $0, retainFor: Double(try lockSeconds())) }
            // One client and one bucket check per bucket and key pair in this process; a store of this caller's own.
            return try S3Buckets.shared.store(location, credentials: credentials, lock: lock)
        } catch let e as CustodyError {
            throw e
        } catch let e as S3ChunkStore.BucketRefused {
            throw CustodyError(.refused, "the chunk store \(location) cannot be used: \(e)")
        } catch let e as S3Error where [401, 403].contains(e.status) {
            throw CustodyError(.refused, "the chunk store \(location) refused access key \(credentials.accessKeyID) "
                               + "(check the key pair and its permissions): \(e)")
        } catch let e as S3Error where !e.isRetryable {
            // The server answers, and says no (no such bucket, a bad request): not a matter of waiting.
            throw CustodyError(.refused, "the chunk store \(location) cannot be used: \(e)")
        } catch {
            throw CustodyError.failure("the chunk store \(location) cannot be reached", cause: error)
        }
    }

    /// Opens the S3 store at `location` for a process with no data directory (a remote worker): credentials
    /// from the environment or `credentialsFile`; chunks locked for `lockSeconds`, the primary's default retention
    /// period as its lease says (the built-in default when it does not; the primary extends them as the exhibit's
    /// rule needs). A file store has no location outside its vault.
    public static func openRemote(_ location: StoreLocation, credentialsFile: String?, lockSeconds: Int64? = nil)
        throws -> any ChunkStore {
        guard case .s3(let s3, let mode) = location else {
            throw CustodyError.invalidInput(field: "--store", "a file store is opened by its folder")
        }
        return try openS3(s3, lock: mode, credentialsFile: nil, explicitCredentials: credentialsFile,
                          lockSeconds: { lockSeconds ?? RetentionRegistry.defaultKeepSeconds })
    }

    /// Where this vault keeps its chunks.
    public func storeLocation() throws -> StoreLocation {
        try StoreLocation(catalog.setting(StoreLocation.settingName) ?? "files", field: StoreLocation.settingName)
    }

    /// Opens the store now if it is opened on first use, so a service refuses to start (saying why) on a bucket
    /// it cannot use rather than failing its first upload. `again`: asks the bucket even if it failed within the
    /// last 30 s (a watch waiting for it to come back).
    public func checkStore(again: Bool = false) throws {
        guard let deferred = store as? DeferredChunkStore else { return }
        if again, case .s3(let location, _) = try storeLocation() { S3Buckets.shared.forgetFailure(location) }
        _ = try deferred.open()
    }

    /// The store when it is the data directory's `chunks/` folder.
    public var fileStore: FileChunkStore? { store as? FileChunkStore }
}

extension Vault {
    /// Records `store` as the vault's chunk store, unless it names another: a store is chosen while the vault
    /// holds no exhibit, and moved with `custody store migrate` after. For an S3 store, saves the
    /// environment's credentials in `keys/s3.credentials` (0600) when that file does not exist, so later
    /// commands and the service find them; returns its path then.
    static func fixStore(_ store: StoreLocation, in directory: DataDirectory) throws -> String? {
        let db = try Database(path: directory.database, create: false)
        let catalog = try Catalog(db: db)
        // Read, counted and set in one write transaction: no ingest can catalogue an exhibit in between.
        try db.transaction {
            let stored = try catalog.setting(StoreLocation.settingName)
            if stored == store.description { return }
            let current = try stored.map { try StoreLocation($0, field: StoreLocation.settingName) } ?? .files
            let exhibits = try db.query("SELECT count(*) FROM exhibits").first?.int(0) ?? 0
            guard stored == nil, exhibits == 0 || current == store else {
                throw CustodyError.conflict(.setting, "this vault keeps its chunks in \(current); it cannot start "
                                            + "using \(store) (move them with `custody store migrate --to URL`)")
            }
            try catalog.setSetting(StoreLocation.settingName, store.description)
        }
        return try saveCredentials(for: store, in: directory)
    }

    static func saveCredentials(for store: StoreLocation, in directory: DataDirectory) throws -> String? {
        let file = credentialsFile(of: directory)
        guard case .s3 = store, !FS.entryExists(file),
              let credentials = try S3Credentials.load(environment: ProcessInfo.processInfo.environment, file: nil)
        else { return nil }
        try FS.writeFileDurably(file, Array(credentials.fileText.utf8), mode: 0o600, scratch: directory.keys)
        return file
    }
}
