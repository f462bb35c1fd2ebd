@preconcurrency import Glibc
import COpenSSL

/// What a non-blocking TLS step achieved, or what the socket must become before retrying it.
public enum TLSProgress: Equatable, Sendable {
    /// The handshake finished (0), or this many bytes were read or written.
    case done(Int)
    /// Retry once the socket is readable (poll for POLLIN).
    case wantRead
    /// Retry once the socket is writable (poll for POLLOUT).
    case wantWrite
    /// The peer ended the stream (close_notify or TCP end of stream).
    case closed
}

/// The server side of one TLS connection over a non-blocking socket that the caller owns and polls.
///
/// Each call returns at once: `.wantRead`/`.wantWrite` tell the caller what to poll for before calling
/// again with the same arguments. Use one session from one thread at a time. OpenSSL writes to the
/// socket with write(2): a process using sessions should ignore SIGPIPE.
public final class TLSSession {
    private let ssl: OpaquePointer
    private let context: TLSServerContext
    /// After a fatal error OpenSSL forbids SSL_shutdown: the connection is just dropped.
    private var failed = false
    private var established = false

    init(context: TLSServerContext, fd: Int32) throws(TLSError) {
        ERR_clear_error()
        guard let ssl = SSL_new(context.context) else { throw .setup(OpenSSLError("SSL_new")) }
        self.ssl = ssl
        self.context = context
        guard SSL_set_fd(ssl, fd) == 1 else { throw .setup(OpenSSLError("SSL_set_fd")) }
        SSL_set_accept_state(ssl)
    }

    deinit { SSL_free(ssl) }

    /// Advances the handshake; `.done(0)` once the connection is secured.
    public func handshake() throws(TLSError) -> TLSProgress {
        clearErrors()
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            established = true
            return .done(0)
        }
        return try interpret(result, call: "SSL_do_handshake", fail: TLSError.handshake)
    }

    /// Decrypts up to `buffer.count` bytes; `.closed` at the end of the stream.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(TLSError) -> TLSProgress {
        guard buffer.count > 0 else { return .done(0) }
        clearErrors()
        var n = 0
        let result = SSL_read_ex(ssl, buffer.baseAddress, buffer.count, &n)
        if result == 1 { return .done(n) }
        return try interpret(result, call: "SSL_read_ex", fail: TLSError.io)
    }

    /// Encrypts and sends a prefix of `bytes` (partial writes are enabled); `.done(n)` says how much.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(TLSError) -> TLSProgress {
        guard bytes.count > 0 else { return .done(0) }
        clearErrors()
        var n = 0
        let result = SSL_write_ex(ssl, bytes.baseAddress, bytes.count, &n)
        if result == 1 { return .done(n) }
        return try interpret(result, call: "SSL_write_ex", fail: TLSError.io)
    }

    /// Whether decrypted or buffered input is waiting, which polling the socket would not show.
    public var hasBufferedInput: Bool { SSL_has_pending(ssl) == 1 }

    /// The negotiated protocol, e.g. "TLSv1.3".
    public var protocolVersion: String { String(cString: SSL_get_version(ssl)) }

    /// A close_notify alert as a plaintext TLS 1.2 record, for a connection turned away before any
    /// handshake (OpenSSL cannot send one then): warning level (1), close_notify (0).
    public static let closeNotifyBeforeHandshake: [UInt8] = [0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00]

    /// Sends close_notify once, without waiting for the peer's; does nothing after a failure.
    public func close() {
        guard established && !failed else { return }
        failed = true
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    /// OpenSSL's queue and errno both explain a failure: neither may hold an older one.
    private func clearErrors() {
        ERR_clear_error()
        errno = 0
    }

    private func interpret(_ result: Int32, call: String,
                           fail: (OpenSSLError) -> TLSError) throws(TLSError) -> TLSProgress {
        let systemError = errno
        let code = SSL_get_error(ssl, result)
        switch code {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_ZERO_RETURN:
            ERR_clear_error()
            return .closed
        case SSL_ERROR_SYSCALL:
            failed = true
            let error = OpenSSLError(call)
            if error.details.isEmpty && systemError != 0 {
                throw fail(OpenSSLError(call, detail: String(cString: strerror(systemError))))
            }
            throw fail(error)
        default:
            failed = true
            throw fail(OpenSSLError(call))
        }
    }
}
