import Foundation

extension S3ChunkStore {
    /// Why a bucket cannot hold chunks as configured.
    public struct BucketRefused: Error, CustomStringConvertible {
        public let description: String
    }

    /// A store on `client`'s bucket after asking the bucket how it is set up: Object Lock is required when `lock`
    /// is given (refused otherwise, saying why), and versioning is read from the bucket, not assumed.
    public static func open(_ client: S3Client, lock: ObjectLock?, parallelPUTs: Int = 8) throws -> S3ChunkStore {
        var request = S3Client.Request("GET", key: nil, operation: "Object Lock configuration")
        request.query = [("object-lock", "")]
        let lockResponse = try client.performText(request, absentOn: [404])
        let lockEnabled = XMLText.first("ObjectLockEnabled", in: lockResponse ?? "") == "Enabled"
        if lock != nil && !lockEnabled {
            throw BucketRefused(description: "bucket \(client.location.bucket) does not have Object Lock enabled: "
                + "chunks cannot be locked there (create the bucket with Object Lock, which S3 allows only at creation)")
        }
        request = S3Client.Request("GET", key: nil, operation: "versioning of the bucket")
        request.query = [("versioning", "")]
        let versioning = try client.performText(request)
        let versioned = lockEnabled || XMLText.first("Status", in: versioning) == "Enabled"
        return S3ChunkStore(client: client, versioned: versioned, lock: lock, parallelPUTs: parallelPUTs)
    }
}
