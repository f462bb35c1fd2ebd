import Crypto
@preconcurrency import Glibc
import POSIX

/// Why a request to an object store got no answer. Every case but `malformed` may be retried on a new
/// connection: the request never completed, so the server did nothing or will do the same again.
public enum HTTPClientError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The name did not resolve, or no address accepted a connection.
    case connect(host: String, port: Int, reason: String)
    /// Nothing came for the whole timeout.
    case timeout(String)
    /// The server closed the connection (or reset it) before the response was whole.
    case closed(String)
    /// The response was not HTTP/1.1 as RFC 9112 writes it, or was larger than allowed.
    case malformed(String)
    /// The server's certificate did not verify (untrusted, expired, another name): asking again cannot help.
    case untrusted(String)

    public var description: String {
        switch self {
        case .connect(let host, let port, let reason): return "cannot connect to \(host):\(port): \(reason)"
        case .timeout(let what): return "no answer within the timeout (\(what))"
        case .closed(let what): return "the server closed the connection (\(what))"
        case .malformed(let what): return "not a valid HTTP response: \(what)"
        case .untrusted(let why): return why
        }
    }

    public var isRetryable: Bool {
        switch self {
        case .malformed, .untrusted: return false
        case .connect, .timeout, .closed: return true
        }
    }
}

/// One blocking TCP connection to a server, with send and receive timeouts, secured by TLS when a context is
/// given. A byte stream only: HTTP is `HTTPClient`'s. Used from one thread at a time.
final class HTTPClientConnection {
    private let fd: Int32
    private var session: TLSClientSession?
    let host: String
    let port: Int
    /// The deadline of the request using the connection now: it may shut the socket down.
    var deadline: DeadlineWatch? {
        didSet {
            oldValue?.unwatch(fd)
            deadline?.watch(fd)
        }
    }

    /// Connects to the first address of `host` that accepts within `timeout` seconds (and before `deadline`).
    init(host: String, port: Int, timeout: Double, tls: TLSClientContext?, deadline: DeadlineWatch? = nil) throws {
        self.host = host
        self.port = port
        self.deadline = deadline
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &found)
        guard rc == 0, let first = found else {
            throw HTTPClientError.connect(host: host, port: port, reason: String(cString: gai_strerror(rc)))
        }
        defer { freeaddrinfo(first) }
        var reason = "no address"
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let address = candidate {
            candidate = address.pointee.ai_next
            let socketFD = socket(address.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
                                  0)
            guard socketFD >= 0 else { reason = String(cString: strerror(errno)); continue }
            deadline?.watch(socketFD)
            if let failure = Self.connect(socketFD, address.pointee.ai_addr, address.pointee.ai_addrlen,
                                          min(timeout, deadline?.remaining ?? timeout)) {
                deadline?.unwatch(socketFD)
                close(socketFD)
                reason = failure
                continue
            }
            fd = socketFD
            Self.setTimeouts(fd, timeout)
            var on: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
            guard let tls else { return }
            do {
                session = try tls.connect(fd: fd, host: host)
            } catch {
                // No close here: the object is whole, so deinit runs and closes the socket once.
                let why = "TLS to \(host):\(port): \(error)"
                throw "\(error)".contains("is not trusted") ? HTTPClientError.untrusted(why) : HTTPClientError.closed(why)
            }
            return
        }
        throw HTTPClientError.connect(host: host, port: port, reason: reason)
    }

    deinit {
        session = nil  // its close_notify goes out before the socket closes, never to a reused descriptor
        deadline?.unwatch(fd)
        close(fd)
    }

    /// A non-blocking connect bounded by `timeout`; nil when connected, else why not.
    private static func connect(_ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>, _ length: socklen_t,
                                _ timeout: Double) -> String? {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(fd, F_SETFL, flags) }
        if Glibc.connect(fd, address, length) == 0 { return nil }
        guard errno == EINPROGRESS || errno == EINTR else { return String(cString: strerror(errno)) }
        var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        let ready = retryingInterrupts { poll(&poller, 1, Int32(timeout * 1000)) }
        guard ready > 0 else { return ready == 0 ? "timed out" : String(cString: strerror(errno)) }
        var error: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size)
        return error == 0 ? nil : String(cString: strerror(error))
    }

    private static func setTimeouts(_ fd: Int32, _ timeout: Double) {
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int(timeout.truncatingRemainder(dividingBy: 1) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends all of `bytes`.
    func send(_ bytes: UnsafeRawBufferPointer) throws {
        if let session {
            do { try session.write(bytes) } catch { throw tlsFailure(error, "sending") }
            return
        }
        var offset = 0
        while offset < bytes.count {
            let n = retryingInterrupts {
                Glibc.send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            guard n > 0 else { throw failure("sending") }
            offset += n
        }
    }

    /// Receives what has arrived (at least one byte), or 0 when the server closed the connection.
    func receive(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let session {
            do { return try session.read(into: buffer) } catch { throw tlsFailure(error, "receiving") }
        }
        let n = retryingInterrupts { recv(fd, buffer.baseAddress, buffer.count, 0) }
        guard n >= 0 else { throw failure("receiving") }
        return n
    }

    private func tlsFailure(_ error: TLSError, _ doing: String) -> HTTPClientError {
        TLSClientSession.isTimeout(error) ? .timeout("\(doing), \(host):\(port)") : .closed("\(doing): \(error)")
    }

    private func failure(_ doing: String) -> HTTPClientError {
        let code = errno
        if code == EAGAIN || code == EWOULDBLOCK { return .timeout("\(doing), \(host):\(port)") }
        return .closed("\(doing): \(String(cString: strerror(code)))")
    }
}
