import CustodyCore
import POSIX
import Storage
import Vault

/// Where a remote worker finds the shared chunk store: the primary's S3 bucket, or a folder (a file store on
/// shared storage, e.g. the primary's `DATA/chunks` mounted over NFS); the one place that turns a location
/// into a store.
enum WorkerStore {
    /// Removes the temporaries killed writers left in a shared folder store's `.tmp` (by age); a bucket has none.
    /// Returns how many it removed.
    static func sweepStaleTemporaries(_ text: String) -> Int {
        text.hasPrefix("/") ? FileChunkStore.sweepStaleTemporaries(root: text) : 0
    }

    /// Opens the store at `text`. A folder that is not a chunk store (its 256 fan-out folders missing)
    /// is refused rather than made: a mistyped or unmounted path must not become an empty store.
    /// An `s3://` location is the primary's bucket, opened with the key pair from AWS_ACCESS_KEY_ID and
    /// AWS_SECRET_ACCESS_KEY or the 0600 file `credentials`, its new chunks locked for `lockSeconds` (the lease's).
    static func open(_ text: String, credentials: String? = nil, lockSeconds: Int64? = nil) throws -> any ChunkStore {
        if text.hasPrefix("s3://") {
            return try Vault.openRemote(StoreLocation(text), credentialsFile: credentials, lockSeconds: lockSeconds)
        }
        guard !text.isEmpty, text.hasPrefix("/") else {
            throw CustodyError.invalidInput(field: "--store", "--store must be the absolute path of the shared chunk "
                                            + "store (the primary's DATA/chunks), not \(text.prefix(200))")
        }
        guard FS.exists(text + "/00"), FS.exists(text + "/ff") else {
            throw CustodyError.failure("the chunk store \(text) cannot be reached (not mounted, or not a custody chunk "
                                       + "store): mount the primary's chunk store there or name it with --store")
        }
        do { return try FileChunkStore(root: text) } catch {
            throw CustodyError.failure("the chunk store \(text) cannot be opened", cause: error)
        }
    }
}
