import Crypto
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
public struct TLSTransportSecurity: HTTPTransportSecurity {
    /// The loaded certificate and key, shared by every connection.
    public let context: TLSServerContext

    /// Loads the files; throws `TLSError` naming the file that is missing, too open or does not match.
    public init(_ files: TLSFiles) throws(TLSError) {
        context = try TLSServerContext(certificateChainFile: files.certificateFile,
                                       privateKeyFile: files.privateKeyFile)
    }

    public func secureChannel(for fd: Int32) throws -> any HTTPSecureChannel {
        TLSChannel(try context.makeSession(fd: fd))
    }
}

/// Adapts a `TLSSession` to the steps HTTPServer drives.
final class TLSChannel: HTTPSecureChannel {
    private let session: TLSSession

    init(_ session: TLSSession) { self.session = session }

    func handshake() throws -> HTTPSecureChannelProgress { Self.map(try session.handshake()) }

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
