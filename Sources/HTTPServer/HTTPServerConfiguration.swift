/// Where the server listens and how it protects itself. Times are in seconds.
public struct HTTPServerConfiguration: Sendable {
    /// Address to bind, numeric or a name; "127.0.0.1" by default (loopback only).
    public var host: String
    /// Port to bind; 0 picks a free one (read it back from `start()`).
    public var port: UInt16
    /// Request size limits (head, lines, fields, body).
    public var limits: HTTPLimits
    /// The whole request head must arrive within this time of its first byte (of the accept for a new
    /// connection): a slowloris client trickling header bytes is cut off with 408.
    public var headerTimeout: Double
    /// A kept-alive connection with no new request for this long is closed.
    public var idleTimeout: Double
    /// A request body that delivers no byte for this long fails with 408.
    public var bodyReadTimeout: Double
    /// The pace a request body must keep: at least this many bytes a second on average over every
    /// `bodyPaceWindow` seconds the server waits for it (time the handler spends between reads does not
    /// count), or the rest of the body if that is less; else 408 and close, so that a client trickling
    /// its body cannot hold a worker. 0 turns the rule off.
    public var minBodyBytesPerSecond: Int
    /// See `minBodyBytesPerSecond`; also the grace a body has before its pace is first checked.
    public var bodyPaceWindow: Double
    /// A response write that makes no progress for this long drops the connection.
    public var writeTimeout: Double
    /// Requests served at once (worker threads). A request whose head is complete while every worker
    /// is busy waits in a queue; connections still sending a head, or idle, do not count.
    public var maxConnections: Int
    /// Complete requests that may wait for a worker; one more is answered 503 and its connection closed.
    public var maxQueuedRequests: Int
    /// A request that waited this long for a worker is answered 503 (with Retry-After) and its
    /// connection closed, instead of being served when its client may have given up.
    public var maxQueueWait: Double
    /// Connections open at once, wherever they are (awaiting a head, idle, being served); one more is
    /// answered 503 and closed.
    public var maxOpenConnections: Int
    /// Connections open at once from one peer address (whatever its ports), so that one client cannot
    /// take every slot; one more from it gets 503 and is closed.
    public var maxConnectionsPerPeer: Int
    /// How long `shutdown()` lets in-flight requests run before closing their connections.
    public var shutdownGracePeriod: Double
    /// Unread request body bytes the server reads and discards to keep a connection alive after a
    /// handler that did not read its body; with more left the connection is closed instead.
    public var maxDrainBytes: Int
    /// listen() backlog: connections the kernel completes before the reactor accepts them. A burst
    /// beyond it makes clients retry their SYN after a second (the kernel caps it at somaxconn).
    public var backlog: Int32
    /// Secures every connection (HTTPS) when set; nil serves plain HTTP. With it set, a connection beyond
    /// `maxOpenConnections` gets the security layer's `refusal` (TLS: close_notify) instead of the 503.
    public var tls: (any HTTPTransportSecurity)?

    /// A configuration with production defaults; tests shorten the timeouts.
    public init(host: String = "127.0.0.1", port: UInt16 = 0, limits: HTTPLimits = HTTPLimits(),
                headerTimeout: Double = 10, idleTimeout: Double = 30, bodyReadTimeout: Double = 30,
                minBodyBytesPerSecond: Int = 16 * 1024, bodyPaceWindow: Double = 10,
                writeTimeout: Double = 30, maxConnections: Int = 64, maxQueuedRequests: Int = 256,
                maxQueueWait: Double = 30,
                maxOpenConnections: Int = 4096, maxConnectionsPerPeer: Int = 32, shutdownGracePeriod: Double = 10,
                maxDrainBytes: Int = 64 * 1024, backlog: Int32 = 1024,
                tls: (any HTTPTransportSecurity)? = nil) {
        self.host = host
        self.port = port
        self.limits = limits
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.bodyReadTimeout = bodyReadTimeout
        self.minBodyBytesPerSecond = minBodyBytesPerSecond
        self.bodyPaceWindow = bodyPaceWindow
        self.writeTimeout = writeTimeout
        self.maxConnections = maxConnections
        self.maxQueuedRequests = maxQueuedRequests
        self.maxQueueWait = maxQueueWait
        self.maxOpenConnections = maxOpenConnections
        self.maxConnectionsPerPeer = maxConnectionsPerPeer
        self.shutdownGracePeriod = shutdownGracePeriod
        self.maxDrainBytes = maxDrainBytes
        self.backlog = backlog
        self.tls = tls
    }
}

/// Size limits applied while decoding requests; each exceeded limit answers a specific status.
public struct HTTPLimits: Sendable, Equatable {
    /// Longest request line, header line, chunk-size line or trailer line, excluding its CRLF.
    /// A longer request line answers 414, a longer header or trailer line 431, a longer chunk line 400.
    public var maxLineLength: Int
    /// Most bytes of a request head (request line, header lines and every CRLF including the final empty
    /// line); also bounds the trailer section of a chunked body. Exceeding it answers 431.
    public var maxHeadBytes: Int
    /// Most header fields (and most trailer fields). Exceeding it answers 431.
    public var maxHeaderCount: Int
    /// Largest accepted request body, declared or chunked. Exceeding it answers 413.
    public var maxBodyBytes: Int64

    /// Defaults: 8 KiB lines, 16 KiB heads, 100 fields, 64 GiB bodies (a four-hour bodycam recording).
    public init(maxLineLength: Int = 8 * 1024, maxHeadBytes: Int = 16 * 1024, maxHeaderCount: Int = 100,
                maxBodyBytes: Int64 = 64 << 30) {
        self.maxLineLength = maxLineLength
        self.maxHeadBytes = maxHeadBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
    }
}
