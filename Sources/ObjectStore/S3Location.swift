import Foundation

/// Where chunks live on S3: `s3://BUCKET/PREFIX?endpoint=http://HOST:PORT&region=REGION`. Path-style addressing
/// (`/BUCKET/KEY`), which AWS, Ceph RGW, MinIO and moto all answer.
public struct S3Location: Sendable, Equatable, CustomStringConvertible {
    public let bucket: String
    /// Prepended to every object's name; empty or ending in `/`.
    public let prefix: String
    public let host: String
    public let port: Int
    public let region: String

    public init(bucket: String, prefix: String = "", host: String, port: Int, region: String = "us-east-1") {
        self.bucket = bucket
        self.prefix = prefix.isEmpty || prefix.hasSuffix("/") ? prefix : prefix + "/"
        self.host = host
        self.port = port
        self.region = region
    }

    public enum ParseError: Error, CustomStringConvertible, Equatable {
        case invalid(String)
        public var description: String {
            guard case .invalid(let why) = self else { return "" }
            return "not an S3 location (s3://BUCKET/PREFIX?endpoint=URL&region=R): \(why)"
        }
    }

    /// Parses the URL form. The endpoint must be `http://` for now: TLS to the object store is not built yet.
    public init(url text: String) throws {
        guard let url = URLComponents(string: text), url.scheme == "s3", let bucket = url.host, !bucket.isEmpty,
              Self.isBucketName(bucket) else { throw ParseError.invalid("\(text): no valid bucket name") }
        let items = url.queryItems ?? []
        func value(_ name: String) -> String? { items.first { $0.name == name }?.value }
        guard let endpointText = value("endpoint"), let endpoint = URLComponents(string: endpointText),
              let host = endpoint.host, !host.isEmpty else { throw ParseError.invalid("\(text): endpoint=URL is needed") }
        guard endpoint.scheme == "http" else {
            throw ParseError.invalid("\(text): only http:// endpoints are supported so far (TLS is not built yet)")
        }
        let prefix = String(url.path.drop { $0 == "/" })
        guard !prefix.contains(".."), prefix.utf8.count <= 256 else { throw ParseError.invalid("\(text): bad prefix") }
        self.init(bucket: bucket, prefix: prefix, host: host, port: endpoint.port ?? 80,
                  region: value("region") ?? "us-east-1")
    }

    /// S3's rules: 3-63 characters, lower-case letters, digits, dots and hyphens, a letter or digit at each end.
    static func isBucketName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count) else { return false }
        func alnum(_ b: UInt8) -> Bool { (0x61...0x7a).contains(b) || (0x30...0x39).contains(b) }
        return alnum(bytes.first!) && alnum(bytes.last!) && bytes.allSatisfy { alnum($0) || $0 == 0x2e || $0 == 0x2d }
    }

    public var description: String { "s3://\(bucket)/\(prefix)?endpoint=http://\(host):\(port)&region=\(region)" }
}
