import Foundation
import ObjectStore
import XCTest

/// A Ceph RADOS Gateway started by `Scripts/ceph-rgw start DIR`, named by `CUSTODY_RGW_ENV=DIR/s3.env` (its
/// endpoint and key). Its buckets are custody-plain and custody-locked (Object Lock). Unlike moto, RGW checks
/// payload hashes, Content-MD5 and the age of a signature, and keeps a COMPLIANCE retention from being shortened.
final class RGWS3: S3TestServer, @unchecked Sendable {
    static let variable = "CUSTODY_RGW_ENV"
    let host: String
    let port: Int
    let credentials: S3Credentials

    /// The gateway `CUSTODY_RGW_ENV` names; an `XCTSkip` saying how to start one when it is not set. A file that
    /// is set but unreadable or incomplete is an error, not a skip: CI that meant to run these must not skip them.
    static func fromEnvironment() throws -> RGWS3 {
        guard let path = ProcessInfo.processInfo.environment[variable], !path.isEmpty else {
            throw XCTSkip("needs a Ceph RGW: ./Scripts/ceph-rgw start DIR, then \(variable)=DIR/s3.env "
                + "(or ./Scripts/test --rgw)")
        }
        return try RGWS3(envFile: path)
    }

    struct BadEnvFile: Error, CustomStringConvertible {
        let description: String
    }

    init(envFile path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw BadEnvFile(description: "\(RGWS3.variable)=\(path): cannot read it")
        }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        guard let endpoint = values["CUSTODY_S3_ENDPOINT"].flatMap(URLComponents.init(string:)),
              endpoint.scheme == "http", let host = endpoint.host, let port = endpoint.port,
              let key = values["AWS_ACCESS_KEY_ID"], let secret = values["AWS_SECRET_ACCESS_KEY"] else {
            throw BadEnvFile(description: "\(RGWS3.variable)=\(path): needs CUSTODY_S3_ENDPOINT=http://HOST:PORT, "
                + "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (as Scripts/ceph-rgw writes them)")
        }
        self.host = host
        self.port = port
        credentials = S3Credentials(accessKeyID: key, secretAccessKey: secret)
    }

    func location(_ bucket: String, prefix: String) -> S3Location {
        S3Location(bucket: "custody-\(bucket)", prefix: prefix, host: host, port: port)
    }
}
