import Foundation

extension S3ChunkStore {
    /// Why a bucket cannot hold chunks as configured.
    public struct BucketRefused: Error, CustomStringConvertible {
        public let description: String
    }

    /// How a bucket is set up, as `checkBucket` read it.
    public struct BucketSettings: Sendable, Equatable {
        public let lockEnabled: Bool
        /// Keeps versions (Object Lock buckets always do).
        public let versioned: Bool
    }

    /// A store on `client`'s bucket after asking the bucket how it is set up: Object Lock is required when `lock`
    /// is given (refused otherwise, saying why), and versioning is read from the bucket, not assumed.
    public static func open(_ client: S3Client, lock: ObjectLock?, parallelPUTs: Int = 8) throws -> S3ChunkStore {
        try open(client, settings: checkBucket(client), lock: lock, parallelPUTs: parallelPUTs)
    }

    /// A store on a bucket `checkBucket` has read: refused when `lock` is given and the bucket has no Object Lock.
    static func open(_ client: S3Client, settings: BucketSettings, lock: ObjectLock?, parallelPUTs: Int)
        throws -> S3ChunkStore {
        if lock != nil && !settings.lockEnabled {
            throw BucketRefused(description: "bucket \(client.location.bucket) does not have Object Lock enabled: "
                + "chunks cannot be locked there (create the bucket with Object Lock, which S3 allows only at creation)")
        }
        return S3ChunkStore(client: client, versioned: settings.versioned, lock: lock, parallelPUTs: parallelPUTs)
    }

    /// Asks the bucket whether it has Object Lock and keeps versions (two requests).
    public static func checkBucket(_ client: S3Client) throws -> BucketSettings {
        var request = S3Client.Request("GET", key: nil, operation: "Object Lock configuration")
        request.query = [("object-lock", "")]
        let lockResponse = try client.performText(request, absentOn: [404])
        let lockEnabled = XMLText.first("ObjectLockEnabled", in: lockResponse ?? "") == "Enabled"
        request = S3Client.Request("GET", key: nil, operation: "versioning of the bucket")
        request.query = [("versioning", "")]
        let versioning = try client.performText(request)
        return BucketSettings(lockEnabled: lockEnabled,
                              versioned: lockEnabled || XMLText.first("Status", in: versioning) == "Enabled")
    }
}
