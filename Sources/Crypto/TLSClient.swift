@preconcurrency import Glibc
import COpenSSL

/// TLS for custody's own outgoing connections (the object store): TLS 1.2 and newer, the server's certificate
/// checked against the system's CA certificates or a given CA file, and its name against the host connected to
/// (a DNS name, or an IP address in the certificate's subjectAltName).
///
/// Thread-safe once made: each connection's `TLSClientSession` is created from the shared context.
public final class TLSClientContext: @unchecked Sendable {
    let context: OpaquePointer
    /// The CA file trusted instead of the system's, if any.
    public let caFile: String?

    /// Ignores SIGPIPE for the whole process, as the service does: OpenSSL writes with write(2), and a server
    /// that reset the connection would otherwise end the process silently instead of failing one request.
    public init(caFile: String? = nil) throws(TLSError) {
        signal(SIGPIPE, SIG_IGN)
        if let caFile { try TLSServerContext.checkReadable(caFile) }
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw .setup(OpenSSLError("SSL_CTX_new")) }
        self.context = context
        self.caFile = caFile
        guard custody_ssl_set_min_tls12(context) == 1 else {
            throw .setup(OpenSSLError("SSL_CTX_set_min_proto_version"))
        }
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        if let caFile {
            guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else {
                throw .invalidCertificate(path: caFile, OpenSSLError("SSL_CTX_load_verify_locations"))
            }
        } else {
            guard SSL_CTX_set_default_verify_paths(context) == 1 else {
                throw .setup(OpenSSLError("SSL_CTX_set_default_verify_paths"))
            }
        }
    }

    deinit { SSL_CTX_free(context) }

    /// Secures the connected, blocking socket `fd` to `host`: the handshake runs now and fails when the
    /// certificate does not verify or does not name `host`.
    public func connect(fd: Int32, host: String) throws(TLSError) -> TLSClientSession {
        try TLSClientSession(context: self, fd: fd, host: host)
    }
}

/// One client TLS connection over a blocking socket the caller owns (and closes after the session).
public final class TLSClientSession {
    private let ssl: OpaquePointer
    private let context: TLSClientContext
    private var open = true

    init(context: TLSClientContext, fd: Int32, host: String) throws(TLSError) {
        ERR_clear_error()
        guard let ssl = SSL_new(context.context) else { throw .setup(OpenSSLError("SSL_new")) }
        self.ssl = ssl
        self.context = context
        guard SSL_set_fd(ssl, fd) == 1 else { throw .setup(OpenSSLError("SSL_set_fd")) }
        var address = in6_addr()
        let isIP = inet_pton(AF_INET, host, &address) == 1 || inet_pton(AF_INET6, host, &address) == 1
        if isIP {
            guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1 else {
                throw .setup(OpenSSLError("X509_VERIFY_PARAM_set1_ip_asc"))
            }
        } else {
            guard custody_ssl_set_sni(ssl, host) == 1, SSL_set1_host(ssl, host) == 1 else {
                throw .setup(OpenSSLError("SSL_set1_host"))
            }
        }
        errno = 0
        let result = SSL_connect(ssl)
        guard result == 1 else {
            open = false
            let verify = SSL_get_verify_result(ssl)
            if verify != X509_V_OK {
                throw .handshake(OpenSSLError("SSL_connect", detail: "the certificate of \(host) is not trusted: "
                    + String(cString: X509_verify_cert_error_string(verify))))
            }
            throw .handshake(Self.error("SSL_connect", ssl: ssl, result: result))
        }
    }

    deinit {
        if open { ERR_clear_error(); _ = SSL_shutdown(ssl) }
        SSL_free(ssl)
    }

    /// Reads what has arrived (at least one byte); 0 when the server ended the stream. A socket timeout is
    /// `TLSError.io` with errno EAGAIN in its detail.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(TLSError) -> Int {
        ERR_clear_error()
        errno = 0
        var count = 0
        let result = SSL_read_ex(ssl, buffer.baseAddress, buffer.count, &count)
        if result == 1 { return count }
        let code = SSL_get_error(ssl, result)
        if code == SSL_ERROR_ZERO_RETURN { return 0 }
        open = false
        throw .io(Self.error("SSL_read", ssl: ssl, result: result))
    }

    /// Writes all of `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(TLSError) {
        var offset = 0
        while offset < bytes.count {
            ERR_clear_error()
            errno = 0
            var written = 0
            let result = SSL_write_ex(ssl, bytes.baseAddress! + offset, bytes.count - offset, &written)
            guard result == 1 else {
                open = false
                throw .io(Self.error("SSL_write", ssl: ssl, result: result))
            }
            offset += written
        }
    }

    /// Whether the last failure was the socket's timeout.
    public static func isTimeout(_ error: TLSError) -> Bool {
        if case .io(let e) = error { return e.details.contains("timed out") }
        return false
    }

    private static func error(_ call: String, ssl: OpaquePointer, result: Int32) -> OpenSSLError {
        let systemError = errno
        let error = OpenSSLError(call)
        if error.details.isEmpty {
            if systemError == EAGAIN || systemError == EWOULDBLOCK { return OpenSSLError(call, detail: "timed out") }
            if systemError != 0 { return OpenSSLError(call, detail: String(cString: strerror(systemError))) }
            return OpenSSLError(call, detail: "the connection ended (SSL error \(SSL_get_error(ssl, result)))")
        }
        return error
    }
}
