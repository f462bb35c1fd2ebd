import Crypto
import Foundation
import HTTPServer

/// The certificate chain and private key `custody serve` secures its port with.
public struct TLSFiles: Sendable, Equatable {
    /// PEM certificate chain, leaf first.
    public var certificateFile: String
    /// Unencrypted PEM private key of the leaf certificate; mode 0600 or stricter.
    public var privateKeyFile: String

    public init(certificateFile: String, privateKeyFile: String) {
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
    }
}

/// HTTPServer's transport-security hook, backed by OpenSSL through Crypto: HTTPS with TLS 1.2 or newer.
/// `reload()` loads the files again (a renewed certificate) for the connections that follow; the
/// connections already open keep the context they started with.
public final class TLSTransportSecurity: HTTPTransportSecurity, @unchecked Sendable {
    public let files: TLSFiles
    private let lock = NSLock()
    private var current: TLSServerContext

    /// Loads the files; throws `TLSError` naming the file that is missing, too open or does not match.
    public init(_ files: TLSFiles) throws(TLSError) {
        self.files = files
        current = try Self.load(files)
    }

    /// The certificate and key new connections are secured with.
    public var context: TLSServerContext {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    /// Loads the files again and serves them to new connections. On any error (the same checks as at
    /// start: missing, too open, not matching) the context in use stays, and the error is thrown.
    @discardableResult
    public func reload() throws(TLSError) -> TLSServerContext {
        let fresh = try Self.load(files)
        lock.lock()
        current = fresh
        lock.unlock()
        return fresh
    }

    public func secureChannel(for fd: Int32) throws -> any HTTPSecureChannel {
        TLSChannel(try context.makeSession(fd: fd))
    }

    /// A close_notify alert: clients report a closed connection (SSL_ERROR_ZERO_RETURN), not a broken one.
    public var refusal: [UInt8] { TLSSession.closeNotifyBeforeHandshake }

    private static func load(_ files: TLSFiles) throws(TLSError) -> TLSServerContext {
        try TLSServerContext(certificateChainFile: files.certificateFile, privateKeyFile: files.privateKeyFile)
    }
}

/// Adapts a `TLSSession` to the steps HTTPServer drives.
final class TLSChannel: HTTPSecureChannel {
    private let session: TLSSession

    init(_ session: TLSSession) { self.session = session }

    /// A peer that closes before the handshake is done has failed it (and is reported as such).
    func handshake() throws -> HTTPSecureChannelProgress {
        let progress = try session.handshake()
        if progress == .closed { throw HandshakeClosed() }
        return Self.map(progress)
    }

    struct HandshakeClosed: Error, CustomStringConvertible {
        var description: String { "the peer closed the connection during the TLS handshake" }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> HTTPSecureChannelProgress {
        Self.map(try session.read(into: buffer))
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws -> HTTPSecureChannelProgress {
        Self.map(try session.write(bytes))
    }

    var hasBufferedInput: Bool { session.hasBufferedInput }

    func close() { session.close() }

    private static func map(_ progress: TLSProgress) -> HTTPSecureChannelProgress {
        switch progress {
        case .done(let n): return .done(n)
        case .wantRead: return .wantRead
        case .wantWrite: return .wantWrite
        case .closed: return .done(0)
        }
    }
}
