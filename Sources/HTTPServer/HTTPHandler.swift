/// Who is on the other end of a request.
public struct HTTPConnectionInfo: Sendable {
    /// Unique per server, in accept order: two requests with the same id shared one TCP connection.
    public let id: UInt64
    /// The peer as "address:port" ("[v6]:port" for IPv6).
    public let remoteAddress: String
    /// 0 for the first request on the connection, 1 for the next kept-alive one, and so on.
    public let requestIndex: Int

    /// The peer's address without its port: "192.0.2.7", "[2001:db8::1]".
    public var remoteHost: String { Self.host(of: remoteAddress) }

    /// `address:port` or `[v6]:port` without the port.
    public static func host(of address: String) -> String {
        guard let colon = address.lastIndex(of: ":") else { return address }
        return String(address[..<colon])
    }

    /// Connection details as the server reports them; public so handlers can be tested alone.
    public init(id: UInt64, remoteAddress: String, requestIndex: Int) {
        self.id = id
        self.remoteAddress = remoteAddress
        self.requestIndex = requestIndex
    }
}

/// Answers requests. Called on a worker thread (one of `maxConnections`); blocking work is fine.
///
/// Throwing `HTTPRequestError` answers its status (and closes the connection); any other error answers
/// 500 and the server keeps serving other connections.
public protocol HTTPHandler: Sendable {
    func handle(_ request: HTTPRequestHead, body: HTTPBody, connection: HTTPConnectionInfo) throws -> HTTPResponse
}

/// A handler made from a closure, for small services and tests.
public struct HTTPClosureHandler: HTTPHandler {
    /// The closure type: same arguments and result as `handle`.
    public typealias Closure = @Sendable (HTTPRequestHead, HTTPBody, HTTPConnectionInfo) throws -> HTTPResponse
    private let closure: Closure

    /// Wraps `closure`, which is called on worker threads, possibly several at once.
    public init(_ closure: @escaping Closure) {
        self.closure = closure
    }

    /// Calls the closure.
    public func handle(_ request: HTTPRequestHead, body: HTTPBody, connection: HTTPConnectionInfo) throws
        -> HTTPResponse
    {
        try closure(request, body, connection)
    }
}

/// One finished (or refused) request, for metrics. Carries no header values and no query string:
/// those can hold tokens and signatures.
public struct HTTPRequestRecord: Sendable {
    /// The method, or "" when the head could not be parsed.
    public let method: String
    /// The raw path without query, or "" when the head could not be parsed.
    public let path: String
    /// The status code sent.
    public let status: Int
    /// From the end of the request head to the end of the response, in seconds.
    public let duration: Double
    /// Request body bytes read.
    public let bodyBytesIn: Int64
    /// Response bytes written, head included.
    public let bytesOut: Int64
    /// See `HTTPConnectionInfo.id`.
    public let connectionID: UInt64
}

/// Receives per-request records and connection events, e.g. to feed Prometheus counters.
/// Called on worker threads and the reactor thread: implementations must be thread-safe and fast.
public protocol HTTPServerObserver: Sendable {
    func requestCompleted(_ record: HTTPRequestRecord)
    /// A connection was refused at accept (503, or just closed over TLS) because `maxOpenConnections`
    /// were open, or `maxConnectionsPerPeer` from its address.
    func connectionRejected()
    /// A TLS handshake failed or did not finish within the header timeout; `reason` is the TLS
    /// layer's error (never key material), or "timeout" / "closed".
    func handshakeFailed(remoteAddress: String, reason: String)
}

extension HTTPServerObserver {
    /// Does nothing by default.
    public func connectionRejected() {}
    /// Does nothing by default.
    public func handshakeFailed(remoteAddress: String, reason: String) {}
}

/// Counters kept by the server itself.
public struct HTTPServerStatistics: Sendable, Equatable {
    /// Connections admitted since start.
    public var connectionsAccepted: UInt64 = 0
    /// Connections refused at accept over `maxOpenConnections` or `maxConnectionsPerPeer`.
    public var connectionsRejected: UInt64 = 0
    /// Requests answered, refused ones included.
    public var requestsCompleted: UInt64 = 0
    /// Connections open right now (awaiting a head, idle or being served).
    public var openConnections: Int = 0
    /// Requests being served by a worker right now.
    public var requestsInProgress: Int = 0
    /// Requests with a complete head waiting for a worker right now.
    public var requestsQueued: Int = 0
}
