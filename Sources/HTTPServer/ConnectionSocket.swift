@preconcurrency import Glibc
import Foundation
import POSIX

/// One accepted, non-blocking TCP connection. A worker's I/O waits with poll() against a deadline; the
/// reactor uses the non-blocking steps in ConnectionSocket+Reactor.swift.
///
/// One thread at a time owns the descriptor (the reactor while a request head is awaited, then a
/// worker). The server may call `forceShutdown()` from another thread (end of the shutdown grace
/// period); the lock makes sure it never touches a descriptor number that was already closed and reused.
final class ConnectionSocket: @unchecked Sendable {
    private let lock = NSLock()
    private var fd: Int32
    /// The security layer (TLS) once its handshake finished; used by the owning thread only.
    var channel: (any HTTPSecureChannel)?
    /// The security layer while its handshake runs (driven by the reactor).
    var handshaking: (any HTTPSecureChannel)?
    let remoteAddress: String

    init(fd: Int32, remoteAddress: String) {
        self.fd = fd
        self.remoteAddress = remoteAddress
    }

    deinit { close() }

    /// The descriptor while open (-1 after close); only the owning thread uses it for I/O.
    var descriptor: Int32 {
        lock.lock()
        defer { lock.unlock() }
        return fd
    }

    /// Reads at most `buffer.count` bytes; returns 0 when the peer closed its side.
    func receive(into buffer: UnsafeMutableRawBufferPointer, until deadline: Deadline) throws -> Int {
        if let channel { return try step(until: deadline) { try channel.read(into: buffer) } }
        return try receivePlain(into: buffer, until: deadline)
    }

    func receivePlain(into buffer: UnsafeMutableRawBufferPointer, until deadline: Deadline) throws -> Int {
        let fd = descriptor
        while true {
            let n = retryingInterrupts { recv(fd, buffer.baseAddress, buffer.count, 0) }
            if n >= 0 { return n }
            switch errno {
            case EAGAIN, EWOULDBLOCK: try waitFor(fd, events: Int16(POLLIN), until: deadline)
            default: throw SystemError(call: "recv", errno: errno, context: "reading from \(remoteAddress)")
            }
        }
    }

    /// Writes all of `bytes`, failing if the peer stops reading until `deadline`.
    func send(_ bytes: UnsafeRawBufferPointer, until deadline: Deadline) throws {
        var sent: Int64 = 0
        try send(bytes, until: deadline, sent: &sent)
    }

    /// `send`, adding to `sent` the bytes handed to the connection as they go, also when it fails part way.
    func send(_ bytes: UnsafeRawBufferPointer, until deadline: Deadline, sent: inout Int64) throws {
        let fd = descriptor
        var offset = 0
        while offset < bytes.count {
            if let channel {
                let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
                let n = try step(until: deadline) { try channel.write(rest) }
                guard n > 0 else {
                    throw SystemError(call: "write", errno: EPIPE, context: "writing to \(remoteAddress)")
                }
                offset += n
                sent += Int64(n)
                continue
            }
            // MSG_NOSIGNAL: a peer that went away must not raise SIGPIPE and kill the process.
            let n = retryingInterrupts {
                Glibc.send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n >= 0 {
                offset += n
                sent += Int64(n)
                continue
            }
            switch errno {
            case EAGAIN, EWOULDBLOCK: try waitFor(fd, events: Int16(POLLOUT), until: deadline)
            default: throw SystemError(call: "send", errno: errno, context: "writing to \(remoteAddress)")
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
        guard beginLingeringClose() else { return }
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

    /// The first half of a lingering close: close_notify (the peer then knows the response is complete)
    /// and half-close; false if the socket is already closed.
    @discardableResult
    func beginLingeringClose() -> Bool {
        let fd = descriptor
        guard fd >= 0 else { return false }
        channel?.close()
        channel = nil
        shutdown(fd, Int32(SHUT_WR))
        return true
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
            handshaking = nil
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
