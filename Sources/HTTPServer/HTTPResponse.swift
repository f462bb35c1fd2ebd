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

    public var source: Source
    /// First byte to send.
    public var offset: Int64
    /// Bytes to send; nil means to the end of the file. Must not run past the end of the file.
    public var length: Int64?

    public init(path: String, offset: Int64 = 0, length: Int64? = nil) {
        self.init(source: .path(path), offset: offset, length: length)
    }

    public init(source: Source, offset: Int64 = 0, length: Int64? = nil) {
        self.source = source
        self.offset = offset
        self.length = length
    }
}

/// What a handler answers. The server adds Content-Length, Date and Connection itself.
public struct HTTPResponse: Sendable {
    /// A response body.
    public enum Body: Sendable {
        case empty
        case bytes([UInt8])
        case file(HTTPFileRegion)
    }

    public var status: HTTPStatus
    /// Headers to send; any Content-Length, Transfer-Encoding, Date or Connection set here is replaced.
    public var headers: HTTPHeaders
    public var body: Body

    public init(status: HTTPStatus, headers: HTTPHeaders = [:], body: Body = .empty) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public init(status: HTTPStatus, headers: HTTPHeaders = [:], bytes: [UInt8]) {
        self.init(status: status, headers: headers, body: .bytes(bytes))
    }

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
}
