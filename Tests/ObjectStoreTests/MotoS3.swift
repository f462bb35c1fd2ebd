import Foundation
import ObjectStore
import TestSupport
import XCTest

/// moto's S3 server (`MotoServer`) with the ObjectStore types a test needs: its key pair, locations and clients.
/// One per test class.
final class MotoS3: @unchecked Sendable {
    let server: MotoServer
    var started: MotoServer.Started { server.started }

    init() throws { server = try MotoServer() }

    var credentials: S3Credentials {
        S3Credentials(accessKeyID: started.accessKeyID, secretAccessKey: started.secretAccessKey)
    }

    func location(_ bucket: String, prefix: String) -> S3Location {
        S3Location(bucket: started.buckets[bucket]!, prefix: prefix, host: "127.0.0.1", port: started.port)
    }

    func client(_ bucket: String, prefix: String, credentials: S3Credentials? = nil,
                retry: RetryPolicy = RetryPolicy(sleep: { _ in })) throws -> S3Client {
        try S3Client(location: location(bucket, prefix: prefix), credentials: credentials ?? self.credentials, retry: retry)
    }
}
