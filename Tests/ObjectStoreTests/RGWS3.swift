import Foundation
import ObjectStore
import TestSupport
import XCTest

/// A Ceph RADOS Gateway started by `Scripts/ceph-rgw start DIR`, named by `CUSTODY_RGW_ENV=DIR/s3.env` (its
/// endpoint and key). Its buckets are custody-plain and custody-locked (Object Lock). Unlike moto, RGW checks
/// payload hashes, Content-MD5 and the age of a signature, and keeps a COMPLIANCE retention from being shortened.
final class RGWS3: S3TestServer, @unchecked Sendable {
    let gateway: RGWEndpoint
    var credentials: S3Credentials {
        S3Credentials(accessKeyID: gateway.accessKeyID, secretAccessKey: gateway.secretAccessKey)
    }

    /// The gateway `CUSTODY_RGW_ENV` names (`RGWEndpoint.fromEnvironment`).
    static func fromEnvironment() throws -> RGWS3 { RGWS3(try RGWEndpoint.fromEnvironment()) }

    init(_ gateway: RGWEndpoint) { self.gateway = gateway }

    func location(_ bucket: String, prefix: String) -> S3Location {
        S3Location(bucket: gateway.bucketName(bucket), prefix: prefix, host: gateway.host, port: gateway.port)
    }
}
