@preconcurrency import Glibc
import POSIX

/// The reactor's non-blocking steps: each returns at once, saying what to wait for when it cannot go on.
extension ConnectionSocket {
    /// The outcome of one non-blocking step.
    enum Step: Equatable {
        /// This many bytes (0 on a read: the peer ended the stream).
        case done(Int)
        /// Try again once the socket has these events.
        case wait(Epoll.Events)
    }

    /// Reads what is available, through the security layer if there is one.
    func receiveNow(into buffer: UnsafeMutableRawBufferPointer) throws -> Step {
        if let channel { return Self.step(try channel.read(into: buffer)) }
        return try receivePlainNow(into: buffer)
    }

    /// Reads what is available from the socket itself (lingering close discards without decrypting).
    func receivePlainNow(into buffer: UnsafeMutableRawBufferPointer) throws -> Step {
        let fd = descriptor
        let n = retryingInterrupts { recv(fd, buffer.baseAddress, buffer.count, 0) }
        if n >= 0 { return .done(n) }
        switch errno {
        case EAGAIN, EWOULDBLOCK: return .wait(.readable)
        default: throw SystemError(call: "recv", errno: errno, context: "reading from \(remoteAddress)")
        }
    }

    /// The first byte the peer sent, left unread: `.done(byte)`, `.done(-1)` if it closed first.
    func peekNow() throws -> Step {
        let fd = descriptor
        var byte: UInt8 = 0
        let n = retryingInterrupts { recv(fd, &byte, 1, Int32(MSG_PEEK)) }
        if n >= 0 { return .done(n == 1 ? Int(byte) : -1) }
        switch errno {
        case EAGAIN, EWOULDBLOCK: return .wait(.readable)
        default: throw SystemError(call: "recv", errno: errno, context: "reading from \(remoteAddress)")
        }
    }

    /// Advances the handshake of `security` (starting it on the first call); `.done(0)` once the
    /// connection is secured, after which every receive and send goes through the secured channel.
    func handshakeNow(with security: any HTTPTransportSecurity) throws -> Step {
        let secured = try handshaking ?? security.secureChannel(for: descriptor)
        handshaking = secured
        let step = Self.step(try secured.handshake())
        if step == .done(0) {
            channel = secured
            handshaking = nil
        }
        return step
    }

    /// Whether the security layer holds input the socket's readiness cannot show.
    var hasBufferedInput: Bool { channel?.hasBufferedInput == true }

    private static func step(_ progress: HTTPSecureChannelProgress) -> Step {
        switch progress {
        case .done(let n): return .done(n)
        case .wantRead: return .wait(.readable)
        case .wantWrite: return .wait(.writable)
        }
    }
}
