import Foundation
import ObjectStore
import TestSupport
import XCTest

/// moto's S3 server (`MotoServer`, started by the tests) as an `S3TestServer`: its key pair and locations.
/// One per test class.
final class MotoS3: S3TestServer, @unchecked Sendable {
    let server: MotoServer
    var started: MotoServer.Started { server.started }

    init() throws { server = try MotoServer() }

    var credentials: S3Credentials {
        S3Credentials(accessKeyID: started.accessKeyID, secretAccessKey: started.secretAccessKey)
    }

    func location(_ bucket: String, prefix: String) -> S3Location {
        S3Location(bucket: started.buckets[bucket]!, prefix: prefix, host: "127.0.0.1", port: started.port)
    }
}
