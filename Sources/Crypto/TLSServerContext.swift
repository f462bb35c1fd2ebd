@preconcurrency import Glibc
import COpenSSL
import CustodyCore

/// Why TLS could not be set up or a TLS connection failed. Configuration errors name the file and say what
/// to do; connection errors keep OpenSSL's error queue text.
public enum TLSError: Error, CustomStringConvertible, Sendable {
    /// A certificate or key file is missing or unreadable (`reason` is strerror's text).
    case fileUnreadable(path: String, reason: String)
    /// The private key file can be read by group or others.
    case keyFileTooOpen(path: String, mode: UInt32)
    /// The file holds no usable PEM certificate chain.
    case invalidCertificate(path: String, OpenSSLError)
    /// The file holds no usable unencrypted PEM private key.
    case invalidPrivateKey(path: String, OpenSSLError)
    /// The private key is not the key of the certificate.
    case keyMismatch(certificate: String, key: String, OpenSSLError)
    /// OpenSSL failed outside any file (context or session setup).
    case setup(OpenSSLError)
    /// The handshake failed: wrong protocol version, plain HTTP, garbage, or the peer gave up.
    case handshake(OpenSSLError)
    /// Reading or writing an established session failed.
    case io(OpenSSLError)

    public var description: String {
        switch self {
        case .fileUnreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .keyFileTooOpen(let path, let mode):
            return "private key \(path) is readable by group or others (mode \(String(mode, radix: 8))); "
                + "run chmod 600 \(path)"
        case .invalidCertificate(let path, let error):
            return "\(path) holds no PEM certificate chain (\(error))"
        case .invalidPrivateKey(let path, let error):
            return "\(path) holds no unencrypted PEM private key (\(error))"
        case .keyMismatch(let certificate, let key, let error):
            return "private key \(key) does not match the certificate in \(certificate) (\(error))"
        case .setup(let error):
            return "TLS setup failed: \(error)"
        case .handshake(let error):
            return "TLS handshake failed: \(error)"
        case .io(let error):
            return "TLS connection failed: \(error)"
        }
    }
}

/// A TLS server configuration: one certificate chain and its private key, TLS 1.2 and newer only.
///
/// Thread-safe once made: every connection's `TLSSession` is created from the shared context.
public final class TLSServerContext: @unchecked Sendable {
    let context: OpaquePointer
    /// The certificate chain file the context was loaded from.
    public let certificateFile: String
    /// The private key file the context was loaded from.
    public let privateKeyFile: String
    /// SHA-256 of the leaf certificate (DER), lower-case hex: what `openssl x509 -fingerprint -sha256`
    /// prints, without the colons. Logged so an operator can tell which certificate is served.
    public private(set) var certificateSHA256 = ""
    /// When the leaf certificate stops being valid (its notAfter), in seconds since 1970.
    public private(set) var certificateNotAfter: Int64 = 0

    /// Loads a PEM certificate chain (leaf first) and its unencrypted PEM private key.
    ///
    /// Refuses a key file whose mode lets group or others read it (like the vault's own keys, it must be
    /// 0600 or stricter), a missing or unreadable file, and a key that is not the certificate's.
    public init(certificateChainFile: String, privateKeyFile: String) throws(TLSError) {
        try Self.checkReadable(certificateChainFile)
        try Self.checkReadable(privateKeyFile)
        try Self.checkPrivate(privateKeyFile)
        let key = try Self.loadPrivateKey(privateKeyFile)
        defer { EVP_PKEY_free(key) }

        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw .setup(OpenSSLError("SSL_CTX_new")) }
        self.context = context
        self.certificateFile = certificateChainFile
        self.privateKeyFile = privateKeyFile
        guard custody_ssl_set_min_tls12(context) == 1 else {
            throw .setup(OpenSSLError("SSL_CTX_set_min_proto_version"))
        }
        _ = custody_ssl_ctx_set_server_options(context)
        _ = custody_ssl_ctx_set_mode_nonblocking(context)
        guard SSL_CTX_use_certificate_chain_file(context, certificateChainFile) == 1 else {
            throw .invalidCertificate(path: certificateChainFile,
                                      OpenSSLError("SSL_CTX_use_certificate_chain_file"))
        }
        guard SSL_CTX_use_PrivateKey(context, key) == 1, SSL_CTX_check_private_key(context) == 1 else {
            throw .keyMismatch(certificate: certificateChainFile, key: privateKeyFile,
                               OpenSSLError("SSL_CTX_check_private_key"))
        }
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        guard let leaf = SSL_CTX_get0_certificate(context), X509_digest(leaf, EVP_sha256(), &digest, &length) == 1,
              length == 32 else {
            throw .setup(OpenSSLError("X509_digest"))
        }
        certificateSHA256 = SHA256Digest(bytes: digest).hex
        var notAfter = tm()
        guard let end = X509_get0_notAfter(leaf), ASN1_TIME_to_tm(end, &notAfter) == 1 else {
            throw .setup(OpenSSLError("ASN1_TIME_to_tm"))
        }
        certificateNotAfter = Int64(timegm(&notAfter))
    }

    deinit { SSL_CTX_free(context) }

    /// A server-side session over `fd`, an accepted non-blocking socket the caller keeps owning.
    public func makeSession(fd: Int32) throws(TLSError) -> TLSSession {
        try TLSSession(context: self, fd: fd)
    }

    static func checkReadable(_ path: String) throws(TLSError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw .fileUnreadable(path: path, reason: String(cString: strerror(errno)))
        }
        close(fd)
    }

    private static func checkPrivate(_ path: String) throws(TLSError) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw .fileUnreadable(path: path, reason: String(cString: strerror(errno)))
        }
        let mode = UInt32(info.st_mode) & 0o777
        if mode & 0o077 != 0 { throw .keyFileTooOpen(path: path, mode: mode) }
    }

    /// Reads the key without OpenSSL's default passphrase prompt: an encrypted key fails instead of
    /// waiting on a terminal that a daemon does not have.
    private static func loadPrivateKey(_ path: String) throws(TLSError) -> OpaquePointer {
        ERR_clear_error()
        guard let bio = BIO_new_file(path, "r") else {
            throw .invalidPrivateKey(path: path, OpenSSLError("BIO_new_file"))
        }
        defer { BIO_free(bio) }
        guard let key = PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in -1 }, nil) else {
            throw .invalidPrivateKey(path: path, OpenSSLError("PEM_read_bio_PrivateKey"))
        }
        return key
    }
}
