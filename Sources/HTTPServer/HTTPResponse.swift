import Foundation

/// A byte range of a file to send as a response body, streamed through a fixed buffer.
public struct HTTPFileRegion: Sendable {
    /// Where the bytes come from.
    public enum Source: Sendable {
        /// A file opened (read-only) when the response is written.
        case path(String)
        /// An open descriptor, read with pread (its offset is not moved); closed after sending if asked.
        case descriptor(Int32, closeWhenDone: Bool)
    }

    /// The file to read.
    public var source: Source
    /// First byte to send.
    public var offset: Int64
    /// Bytes to send; nil means to the end of the file. Must not run past the end of the file.
    public var length: Int64?

    /// A region of the file at `path`, opened when the response is written.
    public init(path: String, offset: Int64 = 0, length: Int64? = nil) {
        self.init(source: .path(path), offset: offset, length: length)
    }

    /// A region of `source`.
    public init(source: Source, offset: Int64 = 0, length: Int64? = nil) {
        self.source = source
        self.offset = offset
        self.length = length
    }
}

/// What became of a response's body, told to `HTTPResponse.whenSent` once the response is written or
/// its writing failed.
public struct HTTPBodyDelivery: Sendable, Equatable {
    /// Body bytes handed to the connection (none for a HEAD request, 204 or 304).
    public let bytes: Int64
    /// Whether the whole response was written: every byte of its body (of its head alone for HEAD).
    /// False when the peer went away, stopped reading, or the body could not be read.
    public let complete: Bool

    public init(bytes: Int64, complete: Bool) {
        self.bytes = bytes
        self.complete = complete
    }
}

/// Writes a streamed response body (`HTTPResponse.Body.stream`).
public typealias HTTPBodyProducer = @Sendable (HTTPBodyStream) throws -> Void

/// Where a streamed body's producer writes its bytes: straight to the connection, each write made
/// within the write timeout or failing.
public final class HTTPBodyStream {
    private let send: (UnsafeRawBufferPointer) throws -> Void
    /// Bytes written so far.
    public private(set) var written: Int64 = 0

    init(_ send: @escaping (UnsafeRawBufferPointer) throws -> Void) { self.send = send }

    /// Sends `bytes`; throws when the connection fails or the client stops reading.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try send(bytes)
        written += Int64(bytes.count)
    }
}

/// What a handler answers. The server adds Content-Length, Date and Connection itself.
public struct HTTPResponse: Sendable {
    /// A response body.
    public enum Body: Sendable {
        case empty
        case bytes([UInt8])
        case file(HTTPFileRegion)
        /// Exactly `length` bytes that `producer` writes while the response is sent (after the head), e.g.
        /// bytes checked as they are read. A producer that throws, or writes more or fewer, drops the
        /// connection: the client sees a body shorter than its Content-Length, never a complete wrong one.
        case stream(length: Int64, producer: HTTPBodyProducer)
    }

    /// The status line's code and reason.
    public var status: HTTPStatus
    /// Headers to send; any Content-Length, Transfer-Encoding, Date or Connection set here is replaced.
    public var headers: HTTPHeaders
    /// What follows the head (nothing for HEAD requests, 204 and 304).
    public var body: Body
    /// Called once on the worker thread after the response was written (or its writing failed), before
    /// the connection's next request is served: e.g. to record how much of a download was sent.
    public var whenSent: (@Sendable (HTTPBodyDelivery) -> Void)?

    /// A response with any body kind.
    public init(status: HTTPStatus, headers: HTTPHeaders = [:], body: Body = .empty) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response whose body is `bytes`.
    public init(status: HTTPStatus, headers: HTTPHeaders = [:], bytes: [UInt8]) {
        self.init(status: status, headers: headers, body: .bytes(bytes))
    }

    /// A response whose body is `data`.
    public init(status: HTTPStatus, headers: HTTPHeaders = [:], data: Data) {
        self.init(status: status, headers: headers, body: .bytes([UInt8](data)))
    }

    /// A plain-text (UTF-8) response.
    public static func text(_ status: HTTPStatus, _ text: String, headers: HTTPHeaders = [:]) -> HTTPResponse {
        var headers = headers
        if !headers.contains(name: "Content-Type") {
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        }
        return HTTPResponse(status: status, headers: headers, bytes: Array(text.utf8))
    }

    /// A file (or part of one) as the body.
    public static func file(_ status: HTTPStatus = .ok, _ region: HTTPFileRegion,
                            headers: HTTPHeaders = [:]) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers, body: .file(region))
    }

    /// The server's answer to a request it refused: the status, a one-line reason, and a close.
    static func error(_ error: HTTPRequestError) -> HTTPResponse {
        .text(error.status, "\(error.status.code) \(error.status.reasonPhrase): \(error.message)\n")
    }

    /// Seconds a client refused with 503 by the server itself (busy, too many connections) is told to wait.
    static let busyRetryAfter = 5

    /// `error(_:)` for a refusal by the server itself; a 503 (it is busy) says when to try again.
    static func refusal(_ error: HTTPRequestError) -> HTTPResponse {
        var response = HTTPResponse.error(error)
        if error.status == .serviceUnavailable {
            response.headers.add(name: "Retry-After", value: String(busyRetryAfter))
        }
        return response
    }
}

/// An HTTP status code with its reason phrase.
public struct HTTPStatus: Sendable, Hashable, CustomStringConvertible {
    /// The three-digit code.
    public let code: Int
    /// The text after the code on the status line.
    public let reasonPhrase: String

    /// A status with an explicit reason phrase; use the named constants where one exists.
    public init(code: Int, reasonPhrase: String) {
        self.code = code
        self.reasonPhrase = reasonPhrase
    }

    /// A status with the standard reason phrase for `code` (or "Status" if unknown).
    public init(code: Int) {
        self.init(code: code, reasonPhrase: Self.standardReasons[code] ?? "Status")
    }

    /// "404 Not Found".
    public var description: String { "\(code) \(reasonPhrase)" }

    /// Whether responses with this status carry no body and no Content-Length (1xx, 204, 304).
    var forbidsBody: Bool { (100..<200).contains(code) || code == 204 || code == 304 }

    /// Statuses are equal by code; the reason phrase is only decoration.
    public static func == (lhs: HTTPStatus, rhs: HTTPStatus) -> Bool { lhs.code == rhs.code }
    /// Hashes the code only, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// The statuses the server and the service use, with their RFC 9110 reason phrases.
    public static let `continue` = HTTPStatus(code: 100)
    public static let ok = HTTPStatus(code: 200)
    public static let created = HTTPStatus(code: 201)
    public static let noContent = HTTPStatus(code: 204)
    public static let partialContent = HTTPStatus(code: 206)
    public static let notModified = HTTPStatus(code: 304)
    public static let badRequest = HTTPStatus(code: 400)
    public static let unauthorized = HTTPStatus(code: 401)
    public static let forbidden = HTTPStatus(code: 403)
    public static let notFound = HTTPStatus(code: 404)
    public static let methodNotAllowed = HTTPStatus(code: 405)
    public static let requestTimeout = HTTPStatus(code: 408)
    public static let conflict = HTTPStatus(code: 409)
    public static let gone = HTTPStatus(code: 410)
    public static let lengthRequired = HTTPStatus(code: 411)
    public static let contentTooLarge = HTTPStatus(code: 413)
    public static let uriTooLong = HTTPStatus(code: 414)
    public static let rangeNotSatisfiable = HTTPStatus(code: 416)
    public static let expectationFailed = HTTPStatus(code: 417)
    public static let headerFieldsTooLarge = HTTPStatus(code: 431)
    public static let internalServerError = HTTPStatus(code: 500)
    public static let notImplemented = HTTPStatus(code: 501)
    public static let serviceUnavailable = HTTPStatus(code: 503)
    public static let versionNotSupported = HTTPStatus(code: 505)

    static let standardReasons: [Int: String] = [
        100: "Continue", 200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 206: "Partial Content",
        301: "Moved Permanently", 302: "Found", 304: "Not Modified", 307: "Temporary Redirect",
        400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
        408: "Request Timeout", 409: "Conflict", 410: "Gone", 411: "Length Required", 412: "Precondition Failed",
        413: "Content Too Large", 414: "URI Too Long", 415: "Unsupported Media Type",
        416: "Range Not Satisfiable", 417: "Expectation Failed", 429: "Too Many Requests",
        431: "Request Header Fields Too Large", 460: "Checksum Mismatch", 500: "Internal Server Error",
        501: "Not Implemented", 503: "Service Unavailable", 505: "HTTP Version Not Supported",
    ]
}
