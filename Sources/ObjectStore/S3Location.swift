import Foundation
@preconcurrency import Glibc

/// Where chunks live on S3: `s3://BUCKET/PREFIX?endpoint=https://HOST:PORT&region=REGION[&ca-file=PEM]`.
/// Path-style addressing (`/BUCKET/KEY`), which AWS, Ceph RGW, MinIO and moto all answer. An `https://` endpoint's
/// certificate is checked against the system's CA certificates, or only against `ca-file` when given (a force's
/// own CA for an on-premises RGW or MinIO).
public struct S3Location: Sendable, Equatable, CustomStringConvertible {
    public let bucket: String
    /// Prepended to every object's name; empty or ending in `/`.
    public let prefix: String
    public let host: String
    public let port: Int
    public let region: String
    /// TLS to the endpoint (`https://`).
    public let secure: Bool
    public let caFile: String?

    public init(bucket: String, prefix: String = "", host: String, port: Int, region: String = "us-east-1",
                secure: Bool = false, caFile: String? = nil) {
        self.secure = secure
        self.caFile = caFile
        self.bucket = bucket
        self.prefix = prefix.isEmpty || prefix.hasSuffix("/") ? prefix : prefix + "/"
        self.host = host
        self.port = port
        self.region = region
    }

    public enum ParseError: Error, CustomStringConvertible, Equatable {
        case invalid(String)
        public var description: String {
            switch self {
            case .invalid(let why): return "not an S3 location (s3://BUCKET/PREFIX?endpoint=URL&region=R): \(why)"
            }
        }
    }

    /// Parses the URL form.
    public init(url text: String) throws {
        guard let url = URLComponents(string: text), url.scheme == "s3", let bucket = url.host, !bucket.isEmpty,
              Self.isBucketName(bucket) else { throw ParseError.invalid("\(text): no valid bucket name") }
        let items = url.queryItems ?? []
        func value(_ name: String) -> String? { items.first { $0.name == name }?.value }
        guard let endpointText = value("endpoint") else { throw ParseError.invalid("\(text): endpoint=URL is needed") }
        guard let endpoint = URLComponents(string: endpointText), let host = try Self.host(of: endpoint, text) else {
            if endpointText.contains("[") || endpointText.contains("::") {
                throw ParseError.invalid("\(text): an IPv6 address is written in brackets, as http://[::1]:9000")
            }
            throw ParseError.invalid("\(text): endpoint=URL is needed")
        }
        guard endpoint.scheme == "http" || endpoint.scheme == "https" else {
            throw ParseError.invalid("\(text): the endpoint must be an http:// or https:// URL")
        }
        let secure = endpoint.scheme == "https"
        guard endpoint.path.isEmpty || endpoint.path == "/", endpoint.query == nil else {
            throw ParseError.invalid("\(text): the endpoint is a server (scheme, host, port), with no path")
        }
        let prefix = String(url.path.drop { $0 == "/" })
        guard !prefix.contains(".."), prefix.utf8.count <= 256 else { throw ParseError.invalid("\(text): bad prefix") }
        self.init(bucket: bucket, prefix: prefix, host: host, port: endpoint.port ?? (secure ? 443 : 80),
                  region: value("region") ?? "us-east-1", secure: secure, caFile: value("ca-file"))
    }

    /// The endpoint's host: a name, an IPv4 address, or an IPv6 address without its brackets (`[::1]` gives `::1`).
    private static func host(of endpoint: URLComponents, _ text: String) throws -> String? {
        guard let host = endpoint.host, !host.isEmpty else { return nil }
        guard host.hasPrefix("[") else { return host }
        let inner = String(host.dropFirst().dropLast())
        var address = in6_addr()
        guard host.hasSuffix("]"), inet_pton(AF_INET6, inner, &address) == 1 else {
            throw ParseError.invalid("\(text): \(host) is not an IPv6 address (zone indexes are not supported)")
        }
        return inner
    }

    /// S3's rules: 3-63 characters, lower-case letters, digits, dots and hyphens, a letter or digit at each end.
    static func isBucketName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count) else { return false }
        func alnum(_ b: UInt8) -> Bool { (0x61...0x7a).contains(b) || (0x30...0x39).contains(b) }
        return alnum(bytes.first!) && alnum(bytes.last!) && bytes.allSatisfy { alnum($0) || $0 == 0x2e || $0 == 0x2d }
    }

    /// The same location with another CA file (nil: the system's CAs): a remote worker's own copy of the CA.
    public func withCAFile(_ file: String?) -> S3Location {
        S3Location(bucket: bucket, prefix: prefix, host: host, port: port, region: region, secure: secure, caFile: file)
    }

    /// The URL form; `ca-file`'s path percent-encoded (a space, `&`, `=`, `%`), which parsing decodes.
    public var description: String {
        let host = host.contains(":") ? "[\(host)]" : host
        return "s3://\(bucket)/\(prefix)?endpoint=\(secure ? "https" : "http")://\(host):\(port)&region=\(region)"
            + (caFile.map { "&ca-file=" + Self.encodedValue($0) } ?? "")
    }

    /// A query value with everything but unreserved characters and `/` percent-encoded.
    static func encodedValue(_ text: String) -> String {
        var allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        allowed.insert(charactersIn: "-._~/")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
