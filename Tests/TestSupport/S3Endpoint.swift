import Foundation
import XCTest

/// An S3 server a test stores chunks on, with buckets `custody-plain`-like `plain` and `locked` (Object Lock):
/// moto's (`MotoServer`, started by the tests) or a Ceph RGW (`RGWEndpoint`, started by Scripts/ceph-rgw).
public protocol S3Endpoint: AnyObject, Sendable {
    var host: String { get }
    var port: Int { get }
    var accessKeyID: String { get }
    var secretAccessKey: String { get }
    /// The real name of bucket `plain` or `locked`.
    func bucketName(_ name: String) -> String
}

extension S3Endpoint {
    public var endpoint: String { "http://\(host):\(port)" }

    /// The `s3://` store location of `bucket` (`plain` or `locked`) under `prefix`, with `extra` query items.
    public func storeURL(_ bucket: String, prefix: String, extra: String = "") -> String {
        "s3://\(bucketName(bucket))/\(prefix)?endpoint=\(endpoint)&region=us-east-1" + extra
    }

    /// The key pair as the environment variables the AWS tools and custody read.
    public var environment: [String: String] {
        ["AWS_ACCESS_KEY_ID": accessKeyID, "AWS_SECRET_ACCESS_KEY": secretAccessKey]
    }

    /// The key pair as a credentials file holds it.
    public var credentialsText: String {
        "AWS_ACCESS_KEY_ID=\(accessKeyID)\nAWS_SECRET_ACCESS_KEY=\(secretAccessKey)\n"
    }
}

/// A Ceph RADOS Gateway started by `Scripts/ceph-rgw start DIR`, named by `CUSTODY_RGW_ENV=DIR/s3.env` (its
/// endpoint and key). Its buckets are custody-plain and custody-locked (Object Lock).
public final class RGWEndpoint: S3Endpoint, @unchecked Sendable {
    public static let variable = "CUSTODY_RGW_ENV"
    public let host: String
    public let port: Int
    public let accessKeyID: String
    public let secretAccessKey: String

    /// The gateway `CUSTODY_RGW_ENV` names; an `XCTSkip` saying how to start one when it is not set. A file that
    /// is set but unreadable or incomplete is an error, not a skip: CI that meant to run these must not skip them.
    public static func fromEnvironment() throws -> RGWEndpoint {
        guard let path = ProcessInfo.processInfo.environment[variable], !path.isEmpty else {
            throw XCTSkip("needs a Ceph RGW: ./Scripts/ceph-rgw start DIR, then \(variable)=DIR/s3.env "
                + "(or ./Scripts/test --rgw)")
        }
        return try RGWEndpoint(envFile: path)
    }

    public struct BadEnvFile: Error, CustomStringConvertible {
        public let description: String
    }

    public init(envFile path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw BadEnvFile(description: "\(RGWEndpoint.variable)=\(path): cannot read it")
        }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        guard let endpoint = values["CUSTODY_S3_ENDPOINT"].flatMap(URLComponents.init(string:)),
              endpoint.scheme == "http", let host = endpoint.host, let port = endpoint.port,
              let key = values["AWS_ACCESS_KEY_ID"], let secret = values["AWS_SECRET_ACCESS_KEY"] else {
            throw BadEnvFile(description: "\(RGWEndpoint.variable)=\(path): needs CUSTODY_S3_ENDPOINT=http://HOST:PORT, "
                + "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (as Scripts/ceph-rgw writes them)")
        }
        self.host = host
        self.port = port
        accessKeyID = key
        secretAccessKey = secret
    }

    public func bucketName(_ name: String) -> String { "custody-\(name)" }
}
