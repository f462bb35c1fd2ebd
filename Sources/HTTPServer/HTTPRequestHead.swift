import Foundation

/// The HTTP version of a request line; only 1.0 and 1.1 are served.
public struct HTTPVersion: Sendable, Hashable, CustomStringConvertible {
    /// The digit before the dot.
    public let major: Int
    /// The digit after the dot.
    public let minor: Int

    /// A version from its two digits.
    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// HTTP/1.0: no keep-alive unless asked, no chunked requests.
    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    /// HTTP/1.1.
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)

    /// "HTTP/1.1" as on the wire.
    public var description: String { "HTTP/\(major).\(minor)" }
}

/// How the request body is delimited, decided once from the head (RFC 9112 section 6.3).
public enum HTTPBodyFraming: Sendable, Equatable {
    /// No body (no Content-Length, no Transfer-Encoding).
    case none
    /// Exactly this many bytes follow the head.
    case contentLength(Int64)
    /// `Transfer-Encoding: chunked`.
    case chunked
}

/// A parsed and validated request line and header section.
public struct HTTPRequestHead: Sendable {
    /// The method token as sent (case-sensitive, e.g. "GET").
    public var method: String
    /// The request target exactly as sent (origin-form `/path?query`, or `*`, or absolute-form).
    public var target: String
    /// The protocol version of the request line.
    public var version: HTTPVersion
    /// Every header field in order; never log their values.
    public var headers: HTTPHeaders
    /// Body framing derived from Content-Length / Transfer-Encoding.
    public var framing: HTTPBodyFraming
    /// Whether the client sent `Expect: 100-continue` and waits before sending the body.
    public var expectsContinue: Bool

    /// A request head; the parser makes these, tests of handlers may too.
    public init(method: String, target: String, version: HTTPVersion = .http1_1, headers: HTTPHeaders = [:],
                framing: HTTPBodyFraming = .none, expectsContinue: Bool = false) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.framing = framing
        self.expectsContinue = expectsContinue
    }

    /// The raw (still percent-encoded) path: the target up to `?` or `#`, without the scheme and
    /// authority of an absolute-form target (`http://host/p` gives `/p`).
    public var path: String {
        var rest = Substring(target)
        for scheme in ["http://", "https://"] where rest.lowercased().hasPrefix(scheme) {
            rest = rest.dropFirst(scheme.count)
            rest = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }).map { rest[$0...] } ?? ""
            if !rest.hasPrefix("/") { rest = "/" + rest }
        }
        return String(rest.prefix { $0 != "?" && $0 != "#" })
    }

    /// The raw query string after `?` (without fragment), or nil when there is none.
    public var query: String? {
        guard let mark = target.firstIndex(of: "?") else { return nil }
        return String(target[target.index(after: mark)...].prefix { $0 != "#" })
    }

    /// The path with percent-escapes decoded, or nil if an escape is malformed or decodes to invalid UTF-8.
    /// Routing should split the raw `path` on `/` first, then decode each segment, so `%2F` stays data.
    public var decodedPath: String? { Self.percentDecode(path) }

    /// Query items in order, names and values percent-decoded, `+` read as space (form encoding).
    /// Items whose escapes are malformed are skipped.
    public var queryItems: [(name: String, value: String)] {
        guard let query else { return [] }
        return query.split(separator: "&", omittingEmptySubsequences: true).compactMap { item in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (s: Substring) in Self.percentDecode(s.replacingOccurrences(of: "+", with: " ")) }
            guard let name = decode(parts[0]), let value = parts.count > 1 ? decode(parts[1]) : "" else {
                return nil
            }
            return (name, value)
        }
    }

    /// The first query value named `name`, decoded.
    public func queryValue(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    /// Whether the connection may stay open after this request: HTTP/1.1 unless `Connection: close`,
    /// HTTP/1.0 only with `Connection: keep-alive`.
    public var keepAlive: Bool {
        if headers.containsToken("close", in: "Connection") { return false }
        if version == .http1_0 { return headers.containsToken("keep-alive", in: "Connection") }
        return true
    }

    /// Decodes `%XX` escapes; nil on a malformed escape or invalid UTF-8.
    public static func percentDecode<S: StringProtocol>(_ text: S) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

extension HTTPRequestHead: CustomStringConvertible {
    /// Method, path and version only: the query may carry signed-link secrets and headers carry tokens.
    public var description: String { "\(method) \(path) \(version)" }
}

/// A request the server refuses, with the status to answer and a short reason safe to show the client.
///
/// Thrown by the head parser, the body decoders and `HTTPBody`; a handler may rethrow it and the server
/// answers with `status` (e.g. 413 when the body exceeds the limit) and closes the connection.
public struct HTTPRequestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The status to answer with.
    public let status: HTTPStatus
    /// What is wrong, safe to send back: never contains header values.
    public let message: String

    /// A refusal with `status` and a short `message`.
    public init(_ status: HTTPStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    /// "400 Bad Request: reason".
    public var description: String { "\(status): \(message)" }
}
