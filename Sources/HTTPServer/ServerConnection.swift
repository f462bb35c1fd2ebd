import POSIX

/// One accepted connection and what survives between its requests.
///
/// Exactly one thread owns it at a time: the reactor while a request head is awaited (or while it
/// lingers before closing), a worker while a request is served. It changes hands only through the
/// worker queue and the reactor's inbox, both behind locks, so its fields need no lock of their own.
final class ServerConnection: @unchecked Sendable {
    /// Where the reactor is with the connection.
    enum Phase {
        /// TLS: waiting for the first byte, then driving the handshake.
        case securing
        /// Waiting for (the rest of) a request head, under the header timeout.
        case awaitingHead
        /// Kept alive between requests, under the idle timeout.
        case idle
        /// Answered and half-closed: discarding what the peer still sends, then closing.
        case lingering
    }

    let id: UInt64
    let socket: ConnectionSocket
    /// The peer's address without its port, for the per-peer cap.
    let peer: String
    /// Counted among the open connections (false for one refused at accept, which only lingers).
    let admitted: Bool
    /// The head parser, which keeps a partial head between reads (and between owners).
    var parser: HTTPRequestHeadParser
    /// Requests served so far.
    var requestIndex = 0

    // Used by the reactor only.
    var phase = Phase.awaitingHead
    /// Bumped whenever a timer is armed, so older timers of this connection are ignored.
    var generation: UInt64 = 0
    /// What the reactor asked epoll to report for this socket.
    var interest = Epoll.Events.readable
    /// TLS: whether the first byte was seen (and was not plain HTTP).
    var sawFirstByte = false
    /// Bytes a lingering close may still discard.
    var lingerBudget = 0

    init(id: UInt64, socket: ConnectionSocket, peer: String, admitted: Bool, limits: HTTPLimits) {
        self.id = id
        self.socket = socket
        self.peer = peer
        self.admitted = admitted
        self.parser = HTTPRequestHeadParser(limits: limits)
    }
}

/// A connection with a complete request head, waiting for (or given to) a worker.
struct ReadyRequest: @unchecked Sendable {
    let connection: ServerConnection
    let head: HTTPRequestHead
    /// Bytes received past the head: the start of the body or of a pipelined request.
    let leftover: [UInt8]
}
