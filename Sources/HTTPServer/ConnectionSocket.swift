@preconcurrency import Glibc
import Foundation

/// One accepted, non-blocking TCP connection; all I/O waits with poll() against a deadline.
///
/// The connection thread owns the descriptor. The server may call `forceShutdown()` from another thread
/// (end of the shutdown grace period); the lock makes sure it never touches a descriptor number that
/// was already closed and reused.
final class ConnectionSocket: @unchecked Sendable {
    private let lock = NSLock()
    private var fd: Int32
    /// The security layer (TLS) once its handshake finished; used by the owning thread only.
    private var channel: (any HTTPSecureChannel)?
    let remoteAddress: String

    init(fd: Int32, remoteAddress: String) {
        self.fd = fd
        self.remoteAddress = remoteAddress
    }

    deinit { close() }

    /// The descriptor while open; only the owning connection thread uses it for I/O.
    private var descriptor: Int32 {
        lock.lock()
        defer { lock.unlock() }
        return fd
    }

    /// Waits until the peer sent something, until `deadline`, or until `wakeFD` becomes readable.
    func waitReadable(until deadline: Deadline, wakeFD: Int32? = nil) throws {
        if channel?.hasBufferedInput == true { return }
        try waitFor(descriptor, events: Int16(POLLIN), until: deadline, wakeFD: wakeFD)
    }

    /// Runs the handshake of `security` over this socket; afterwards every receive and send goes through
    /// the secured channel. A peer that does not finish by `deadline` fails with `WaitError.timedOut`.
    func secure(with security: any HTTPTransportSecurity, until deadline: Deadline) throws {
        let fd = descriptor
        let secured = try security.secureChannel(for: fd)
        while true {
            switch try secured.handshake() {
            case .done:
                channel = secured
                return
            case .wantRead: try waitFor(fd, events: Int16(POLLIN), until: deadline)
            case .wantWrite: try waitFor(fd, events: Int16(POLLOUT), until: deadline)
            }
        }
    }

    /// The first byte the peer sent, left unread; nil if it closed first.
    func peekFirstByte(until deadline: Deadline) throws -> UInt8? {
        let fd = descriptor
        var byte: UInt8 = 0
        while true {
            let n = recv(fd, &byte, 1, Int32(MSG_PEEK))
            if n >= 0 { return n == 1 ? byte : nil }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: try waitFor(fd, events: Int16(POLLIN), until: deadline)
            default: throw SystemCallError(call: "recv", errno: errno, context: "reading from \(remoteAddress)")
            }
        }
    }

    /// Reads at most `buffer.count` bytes; returns 0 when the peer closed its side.
    func receive(into buffer: UnsafeMutableRawBufferPointer, until deadline: Deadline) throws -> Int {
        if let channel { return try step(until: deadline) { try channel.read(into: buffer) } }
        return try receivePlain(into: buffer, until: deadline)
    }

    private func receivePlain(into buffer: UnsafeMutableRawBufferPointer, until deadline: Deadline) throws -> Int {
        let fd = descriptor
        while true {
            let n = recv(fd, buffer.baseAddress, buffer.count, 0)
            if n >= 0 { return n }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: try waitFor(fd, events: Int16(POLLIN), until: deadline)
            default: throw SystemCallError(call: "recv", errno: errno, context: "reading from \(remoteAddress)")
            }
        }
    }

    /// Writes all of `bytes`, failing if the peer stops reading until `deadline`.
    func send(_ bytes: UnsafeRawBufferPointer, until deadline: Deadline) throws {
        let fd = descriptor
        var offset = 0
        while offset < bytes.count {
            if let channel {
                let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
                let n = try step(until: deadline) { try channel.write(rest) }
                guard n > 0 else {
                    throw SystemCallError(call: "write", errno: EPIPE, context: "writing to \(remoteAddress)")
                }
                offset += n
                continue
            }
            // MSG_NOSIGNAL: a peer that went away must not raise SIGPIPE and kill the process.
            let n = Glibc.send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if n >= 0 {
                offset += n
                continue
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: try waitFor(fd, events: Int16(POLLOUT), until: deadline)
            default: throw SystemCallError(call: "send", errno: errno, context: "writing to \(remoteAddress)")
            }
        }
    }

    /// Repeats one secured-channel step, polling for what it wants, until it is done or `deadline` passes.
    private func step(until deadline: Deadline, _ body: () throws -> HTTPSecureChannelProgress) throws -> Int {
        let fd = descriptor
        while true {
            switch try body() {
            case .done(let n): return n
            case .wantRead: try waitFor(fd, events: Int16(POLLIN), until: deadline)
            case .wantWrite: try waitFor(fd, events: Int16(POLLOUT), until: deadline)
            }
        }
    }

    func send(_ bytes: [UInt8], until deadline: Deadline) throws {
        try bytes.withUnsafeBytes { try send($0, until: deadline) }
    }

    /// Closes gracefully when unread request bytes may remain: half-close, discard what the peer still
    /// sends for a short while, then close. Closing with unread data would send RST, and the peer could
    /// lose the response it has not read yet.
    func lingeringClose(maxWait: Double = 1, maxBytes: Int = 1 << 20) {
        let fd = descriptor
        guard fd >= 0 else { return }
        channel?.close()  // close_notify first: the peer then knows the response is complete
        channel = nil
        shutdown(fd, Int32(SHUT_WR))
        let deadline = Deadline.after(maxWait)
        var discarded = 0
        withUnsafeTemporaryAllocation(byteCount: 16 * 1024, alignment: 1) { buffer in
            while discarded < maxBytes {
                // Raw reads: whatever still arrives is discarded, so it need not be decrypted.
                guard let n = try? receivePlain(into: buffer, until: deadline), n > 0 else { break }
                discarded += n
            }
        }
        close()
    }

    /// Unblocks the owning thread's I/O (used when the shutdown grace period ends).
    func forceShutdown() {
        lock.lock()
        defer { lock.unlock() }
        if fd >= 0 { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    func close() {
        lock.lock()
        defer { lock.unlock() }
        if fd >= 0 {
            channel?.close()
            channel = nil
            Glibc.close(fd)
            fd = -1
        }
    }

    /// "address:port" of a peer (IPv6 in brackets), for logs and handlers.
    static func describe(_ storage: sockaddr_storage) -> String {
        var copy = storage
        var host = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = Int32(storage.ss_family)
        let port: UInt16 = withUnsafeBytes(of: &copy) { raw in
            switch family {
            case AF_INET:
                var sin = raw.load(as: sockaddr_in.self)
                inet_ntop(AF_INET, &sin.sin_addr, &host, socklen_t(host.count))
                return UInt16(bigEndian: sin.sin_port)
            case AF_INET6:
                var sin6 = raw.load(as: sockaddr_in6.self)
                inet_ntop(AF_INET6, &sin6.sin6_addr, &host, socklen_t(host.count))
                return UInt16(bigEndian: sin6.sin6_port)
            default:
                return 0
            }
        }
        let address = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return family == AF_INET6 ? "[\(address)]:\(port)" : "\(address):\(port)"
    }
}
