import Crypto
import Dispatch
import Foundation

/// The buckets a process has opened: one `S3Client` (one pool of kept-alive connections) and one check of the
/// bucket's settings per location and key pair, shared by every vault handle, periodic task and worker slot of
/// the process. Each caller still gets a `S3ChunkStore` of its own on the shared client: a store's writer state
/// (the PUTs since its last `sync`, and their first failure) belongs to one writer.
///
/// A failed open (client or check) is remembered for `retryAfter` seconds and thrown again without asking, as
/// `DeferredChunkStore` does for one handle, so a process with many handles does not ask a store that is down
/// once per handle.
public final class S3Buckets: @unchecked Sendable {
    /// The process's buckets.
    public static let shared = S3Buckets()

    private struct Opened {
        let client: S3Client
        let settings: S3ChunkStore.BucketSettings
    }

    private let mutex = NSLock()
    private var opened: [String: Opened] = [:]
    private var failed: [String: (error: any Error, at: Double)] = [:]
    private let retryAfter: Double
    private let makeClient: (S3Location, S3Credentials) throws -> S3Client
    private var checksMade = 0

    public init(retryAfter: Double = 30,
                makeClient: @escaping (S3Location, S3Credentials) throws -> S3Client = {
                    try S3Client(location: $0, credentials: $1)
                }) {
        self.retryAfter = retryAfter
        self.makeClient = makeClient
    }

    /// How many times a bucket's settings were asked for (what sharing saves; tests count it).
    public var checks: Int { mutex.withLock { checksMade } }

    /// Forgets a failed open of `location` (whatever the key pair), so the next `store` asks the bucket again.
    public func forgetFailure(_ location: S3Location) {
        let prefix = location.description + "\n"
        mutex.withLock { failed = failed.filter { !$0.key.hasPrefix(prefix) } }
    }

    /// A store of its own for the caller on the shared client of `location` with `credentials`, opened (client
    /// made, bucket checked) on the first call; refused when `lock` is given and the bucket has no Object Lock.
    public func store(_ location: S3Location, credentials: S3Credentials, lock: S3ChunkStore.ObjectLock?,
                      parallelPUTs: Int = 8) throws -> S3ChunkStore {
        let bucket = try open(location, credentials)
        return try S3ChunkStore.open(bucket.client, settings: bucket.settings, lock: lock, parallelPUTs: parallelPUTs)
    }

    /// The shared client and settings; opened under the lock, so callers arriving meanwhile wait for the one
    /// check rather than making their own.
    private func open(_ location: S3Location, _ credentials: S3Credentials) throws -> Opened {
        // The secret's hash in the key: a key pair changed under the same key ID opens the bucket again.
        let key = location.description + "\n" + credentials.accessKeyID + "\n"
            + SHA256.hash(Array(credentials.secretAccessKey.utf8)).hex
        return try mutex.withLock {
            if let bucket = opened[key] { return bucket }
            let now = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
            if let failure = failed[key], now - failure.at < retryAfter { throw failure.error }
            do {
                let client = try makeClient(location, credentials)
                checksMade += 1
                let bucket = Opened(client: client, settings: try S3ChunkStore.checkBucket(client))
                opened[key] = bucket
                failed[key] = nil
                return bucket
            } catch {
                failed[key] = (error, now)
                throw error
            }
        }
    }
}
