import Crypto
import CustodyCore
import Foundation

/// An access key pair for S3. The secret is never printed: `description` and `dump` show the key ID only.
public struct S3Credentials: Sendable, CustomStringConvertible, CustomReflectable {
    public let accessKeyID: String
    let secretAccessKey: String

    public init(accessKeyID: String, secretAccessKey: String) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
    }

    public var description: String { "S3Credentials(\(accessKeyID), secret withheld)" }
    public var customMirror: Mirror { Mirror(self, children: ["accessKeyID": accessKeyID]) }
}

/// One request as SigV4 sees it: the path already in its wire form (each segment percent-encoded once, as S3
/// wants: `SigV4.encodePath`), the query as name/value pairs not yet encoded, the headers to sign (the caller
/// chooses; `host` must be among them), and the payload's SHA-256 in hex (the chunk's name, for a chunk PUT).
public struct SigV4Request: Sendable {
    public var method: String
    public var path: String
    public var query: [(name: String, value: String)]
    public var headers: [(name: String, value: String)]
    public var payloadHash: String

    public init(method: String, path: String, query: [(name: String, value: String)] = [],
                headers: [(name: String, value: String)], payloadHash: String) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.payloadHash = payloadHash
    }
}

/// AWS Signature Version 4 in its header form (the `Authorization` header), as S3 checks it. Each step's
/// text is kept so a test can say which step differs from a published vector: a server answers every
/// mistake with the same `SignatureDoesNotMatch`.
public struct SigV4 {
    public struct Signed: Sendable {
        public let canonicalRequest: String
        public let stringToSign: String
        public let signature: String
        public let authorization: String
        /// `x-amz-date`, which the request must carry (and sign) as it was given.
        public let amzDate: String
    }

    public static let algorithm = "AWS4-HMAC-SHA256"
    /// SHA-256 of no bytes: the payload hash of a GET, HEAD or DELETE.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    public let credentials: S3Credentials
    public let region: String
    public let service: String

    public init(credentials: S3Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// Signs `request` at `date`. `request.headers` must already hold `x-amz-date` equal to
    /// `SigV4.amzDate(date)` (and, for S3, `x-amz-content-sha256`): what is signed is what is sent.
    public func sign(_ request: SigV4Request, at date: Date) -> Signed {
        let amzDate = Self.amzDate(date)
        let day = String(amzDate.prefix(8))
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(request.headers)
        let canonicalRequest = [request.method, request.path, Self.canonicalQuery(request.query), canonicalHeaders,
                                signedHeaders, request.payloadHash].joined(separator: "\n")
        let stringToSign = [Self.algorithm, amzDate, scope, SHA256.hash(Array(canonicalRequest.utf8)).hex]
            .joined(separator: "\n")
        let signature = Hex.encode(HMACSHA256.authenticate(Array(stringToSign.utf8), key: signingKey(day: day)))
        let authorization = "\(Self.algorithm) Credential=\(credentials.accessKeyID)/\(scope), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return Signed(canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature,
                      authorization: authorization, amzDate: amzDate)
    }

    /// The key for one day, region and service, derived from the secret by four HMACs.
    func signingKey(day: String) -> [UInt8] {
        var key = Array("AWS4\(credentials.secretAccessKey)".utf8)
        for part in [day, region, service, "aws4_request"] {
            key = HMACSHA256.authenticate(Array(part.utf8), key: key)
        }
        return key
    }

    /// `20150830T123600Z`: the date and time in UTC, as `x-amz-date` carries it.
    public static func amzDate(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    /// Lower-case names, sorted; a name given more than once has its values joined by commas in the order given;
    /// values trimmed and inner runs of spaces made one. Returns the canonical block and the signed names.
    static func canonicalHeaders(_ headers: [(name: String, value: String)]) -> (String, String) {
        var values: [String: [String]] = [:]
        for (name, value) in headers {
            values[name.lowercased(), default: []].append(collapseSpaces(value))
        }
        let names = values.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let block = names.map { "\($0):\(values[$0]!.joined(separator: ","))\n" }.joined()
        return (block, names.joined(separator: ";"))
    }

    static func collapseSpaces(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            .trimmingCharacters(in: .whitespaces)
    }

    /// Each name and value percent-encoded (`encode`), pairs sorted by name then value, byte by byte.
    public static func canonicalQuery(_ query: [(name: String, value: String)]) -> String {
        query.map { (encode($0.name), encode($0.value)) }
            .sorted { a, b in
                a.0 == b.0 ? Array(a.1.utf8).lexicographicallyPrecedes(Array(b.1.utf8))
                    : Array(a.0.utf8).lexicographicallyPrecedes(Array(b.0.utf8))
            }
            .map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// RFC 3986 percent-encoding with upper-case hex, keeping only the unreserved characters (and `/` when
    /// `keepSlash`, for a path).
    public static func encode(_ text: String, keepSlash: Bool = false) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepSlash:
                out.append("/")
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    /// An object key's path as S3 signs and receives it: `/` + each segment encoded once.
    public static func encodePath(_ key: String) -> String { "/" + encode(key, keepSlash: true) }
}
