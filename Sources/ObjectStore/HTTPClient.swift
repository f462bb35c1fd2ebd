import Crypto
import Foundation

/// A response's status and header fields (names in lower case); its body went to the caller's sink.
public struct HTTPClientResponse: Sendable {
    public let status: Int
    public let fields: [(name: String, value: String)]

    /// The first value of a field, by its lower-case name.
    public func field(_ name: String) -> String? { fields.first { $0.name == name }?.value }
}

/// A blocking HTTP/1.1 client for one server (over TLS when given a context), with
/// a pool of kept-alive connections shared by the threads that use it. It sends what it is given and reads
/// what comes back; retrying is the caller's (S3Client), which knows what may be sent again.
public final class HTTPClient: @unchecked Sendable {
    enum Framing { case none, length(Int), chunked, untilClose }

    public let host: String
    public let port: Int
    let timeout: Double
    let deadline: RequestDeadline
    let tls: TLSClientContext?
    private let maxIdle: Int
    private let lock = NSLock()
    private var idle: [HTTPClientConnection] = []

    /// `timeout`: the longest wait for the next byte; `deadline`: how long a whole request may take.
    public init(host: String, port: Int, tls: TLSClientContext? = nil, timeout: Double = 30,
                deadline: RequestDeadline = RequestDeadline(), maxIdle: Int = 16) {
        self.host = host
        self.tls = tls
        self.port = port
        self.timeout = timeout
        self.deadline = deadline
        self.maxIdle = maxIdle
    }

    /// Sends one request (`target` is the path and query as they go on the wire; `Host` and `Content-Length`
    /// are added) and hands the response body to `sink`. A sink that throws ends the request and drops its
    /// connection. `head` hears the final status before any of the body goes to `sink`.
    ///
    /// A kept-alive connection the server closed while it sat idle fails before any answer: the request then
    /// goes again on a new connection, once, without counting as a failure (except for POST, which may not be
    /// sent twice).
    ///
    /// A request still unanswered at its deadline (`RequestDeadline`) fails with `.timeout`.
    public func send(_ method: String, _ target: String, fields: [(name: String, value: String)],
                     body: UnsafeRawBufferPointer? = nil,
                     sink: (UnsafeRawBufferPointer) throws -> Void = { _ in },
                     head: (Int) -> Void = { _ in }) throws -> HTTPClientResponse {
        let watch = DeadlineWatch(deadline, sending: body?.count ?? 0)
        defer { watch.finish() }
        do {
            var (connection, reused) = try take(watch)
            while true {
                do {
                    return try exchange(connection, method, target, fields, body, sink, head, watch)
                } catch let failure as StaleConnection {
                    guard reused && method != "POST" && !watch.passed else { throw failure.error }
                    connection = try HTTPClientConnection(host: host, port: port, timeout: timeout, tls: tls,
                                                          deadline: watch)
                    reused = false
                }
            }
        } catch let error as HTTPClientError where watch.passed {
            _ = error  // what the shut-down socket gave (closed, reset): the deadline is the cause
            throw HTTPClientError.timeout("the whole request took more than its deadline of "
                + "\(String(format: "%.1f", watch.seconds)) s, \(host):\(port)")
        }
    }

    /// A failure before any byte of an answer arrived.
    private struct StaleConnection: Error { let error: HTTPClientError }

    private func exchange(_ connection: HTTPClientConnection, _ method: String, _ target: String,
                          _ fields: [(name: String, value: String)], _ body: UnsafeRawBufferPointer?,
                          _ sink: (UnsafeRawBufferPointer) throws -> Void, _ head: (Int) -> Void,
                          _ watch: DeadlineWatch) throws -> HTTPClientResponse {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: \(hostField)\r\n"
        for (name, value) in fields where name.lowercased() != "host" {
            text += "\(name): \(value)\r\n"
        }
        if body != nil || method == "PUT" || method == "POST" { text += "Content-Length: \(body?.count ?? 0)\r\n" }
        text += "\r\n"
        var reader = HTTPResponseReader(connection)
        var sendFailure: HTTPClientError?
        do {
            try Array(text.utf8).withUnsafeBytes { try connection.send($0) }
            if let body, body.count > 0 { try connection.send(body) }
        } catch let error as HTTPClientError {
            sendFailure = error  // the server may have answered (403, 413) and closed before reading it all
        }
        var status: Int
        var responseFields: [(name: String, value: String)]
        do {
            (status, responseFields) = try reader.readHead()
        } catch let error as HTTPClientError where reader.received == 0 {
            throw StaleConnection(error: sendFailure ?? error)
        }
        while (100...199).contains(status) { (status, responseFields) = try reader.readHead() }
        let response = HTTPClientResponse(status: status, fields: responseFields)
        head(status)
        let framing = try Self.framing(of: response, method: method)
        if case .length(let length) = framing { watch.extend(receiving: length) }
        let whole = try reader.readBody(framing, sink)
        connection.deadline = nil
        if whole && sendFailure == nil && reader.keepsAlive(response) && !watch.passed { give(connection) }
        return response
    }

    /// `Host` as RFC 9110 7.2 writes it: the port only when it is not the scheme's default.
    public var hostField: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (tls == nil ? 80 : 443) ? name : "\(name):\(port)"
    }

    static func framing(of response: HTTPClientResponse, method: String) throws -> Framing {
        if method == "HEAD" || response.status == 204 || response.status == 304 { return .none }
        if let coding = response.field("transfer-encoding") {
            guard coding.lowercased() == "chunked" else { throw HTTPClientError.malformed("transfer coding \(coding)") }
            return .chunked
        }
        if let text = response.field("content-length") {
            guard let length = Int(text), length >= 0 else { throw HTTPClientError.malformed("Content-Length \(text)") }
            return .length(length)
        }
        return .untilClose
    }

    /// An idle connection (reused: true) or a new one.
    private func take(_ watch: DeadlineWatch) throws -> (HTTPClientConnection, reused: Bool) {
        let reused: HTTPClientConnection? = lock.withLock { idle.popLast() }
        if let reused {
            reused.deadline = watch
            return (reused, true)
        }
        return (try HTTPClientConnection(host: host, port: port, timeout: timeout, tls: tls, deadline: watch), false)
    }

    private func give(_ connection: HTTPClientConnection) {
        lock.withLock { if idle.count < maxIdle { idle.append(connection) } }
    }

    /// Connections kept alive now, for tests.
    public var idleConnections: Int { lock.withLock { idle.count } }
}
