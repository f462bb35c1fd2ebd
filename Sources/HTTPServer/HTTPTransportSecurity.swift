/// Secures every accepted connection, e.g. with TLS. The server knows no cryptography: it hands each
/// accepted socket to `secureChannel(for:)` and drives the returned channel in non-blocking steps,
/// polling the socket in between against its own deadlines (the handshake must finish within
/// `headerTimeout` of the accept, like the first request head).
public protocol HTTPTransportSecurity: Sendable {
    /// A new server-side channel over `fd`, an accepted non-blocking socket. The server keeps owning
    /// `fd` and closes it after the channel is released; the channel must not close it.
    func secureChannel(for fd: Int32) throws -> any HTTPSecureChannel
    /// Bytes sent in the clear to a connection refused before its handshake (over the connection limits),
    /// so that its client sees a deliberate close, not a broken connection; empty sends nothing.
    var refusal: [UInt8] { get }
}

extension HTTPTransportSecurity {
    /// Nothing by default.
    public var refusal: [UInt8] { [] }
}

/// One connection's security layer. Each call returns at once; the server calls it from the
/// connection's thread only, and retries a call that wanted to read or write once the socket is ready.
public protocol HTTPSecureChannel: AnyObject {
    /// Advances the handshake; `.done` once the connection is secured.
    func handshake() throws -> HTTPSecureChannelProgress
    /// Up to `buffer.count` plaintext bytes; `.done(0)` when the peer ended the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> HTTPSecureChannelProgress
    /// Sends a prefix of `bytes`; `.done(n)` says how many (at least one).
    func write(_ bytes: UnsafeRawBufferPointer) throws -> HTTPSecureChannelProgress
    /// Whether input is buffered inside the channel, where polling the socket cannot see it.
    var hasBufferedInput: Bool { get }
    /// Says goodbye to the peer if the protocol has a way (best effort, never blocks).
    func close()
}

/// The result of one step of an `HTTPSecureChannel`.
public enum HTTPSecureChannelProgress: Equatable, Sendable {
    /// Finished: the handshake (0), or this many bytes moved (0 on read: the peer ended the stream).
    case done(Int)
    /// Call again once the socket is readable.
    case wantRead
    /// Call again once the socket is writable.
    case wantWrite
}
