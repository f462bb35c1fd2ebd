import Dispatch
import Foundation
@preconcurrency import Glibc

/// How long one whole request may take: connect, send, the answer's head and its body. The socket's timeout
/// bounds only each wait for the next byte, so a server that sends a byte a second would hold a request for
/// ever; this bounds the whole. `base` seconds, plus the bytes sent and the bytes the answer announces at
/// `bytesPerSecond`: by default 60 s + 64 s for a 16 MiB chunk (124 s), 60 s + 256 s for a 64 MiB one, so a
/// slow link (2 Mbit/s) still gets big chunks through while a stuck request never holds a PUT for long.
public struct RequestDeadline: Sendable, Equatable {
    public var base: Double
    public var bytesPerSecond: Double

    public init(base: Double = 60, bytesPerSecond: Double = 262_144) {
        self.base = base
        self.bytesPerSecond = bytesPerSecond
    }

    func seconds(for bytes: Int) -> Double { Double(bytes) / bytesPerSecond }
}

/// One request's deadline running: when it passes, the socket the request is using is shut down, which ends
/// whatever send or receive is blocked on it, over TLS too (where one SSL_read may wait on many receives).
/// The socket is watched only while its connection holds it (`watch`/`unwatch` under the lock), so a
/// descriptor that was closed, and maybe reused, is never touched.
final class DeadlineWatch: @unchecked Sendable {
    let policy: RequestDeadline
    private let lock = NSLock()
    private var end: DispatchTime
    private var allowed: Double
    private var fd: Int32 = -1
    private var isPassed = false
    private var finished = false

    init(_ policy: RequestDeadline, sending bytes: Int) {
        self.policy = policy
        allowed = policy.base + policy.seconds(for: bytes)
        end = .now() + allowed
        schedule(at: end)
    }

    /// Whether the deadline passed (the socket watched then was shut down).
    var passed: Bool { lock.withLock { isPassed } }

    /// Seconds allowed so far, for the error.
    var seconds: Double { lock.withLock { allowed } }

    /// Seconds left, at least 0.
    var remaining: Double {
        let now = DispatchTime.now().uptimeNanoseconds
        return lock.withLock { end.uptimeNanoseconds > now ? Double(end.uptimeNanoseconds - now) / 1e9 : 0 }
    }

    /// More time for an answer that announced `bytes` of body.
    func extend(receiving bytes: Int) {
        lock.withLock {
            guard !isPassed else { return }
            let more = policy.seconds(for: bytes)
            allowed += more
            end = end + more
        }
    }

    func watch(_ fd: Int32) {
        lock.withLock {
            self.fd = fd
            if isPassed { shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    /// Before `fd` is closed or pooled.
    func unwatch(_ fd: Int32) {
        lock.withLock { if self.fd == fd { self.fd = -1 } }
    }

    /// The request is over: nothing is shut down after this.
    func finish() {
        lock.withLock {
            finished = true
            fd = -1
        }
    }

    private func schedule(at time: DispatchTime) {
        DispatchQueue.global().asyncAfter(deadline: time) { [weak self] in self?.check() }
    }

    private func check() {
        lock.withLock {
            guard !finished, !isPassed else { return }
            if DispatchTime.now() < end { return schedule(at: end) }  // extended meanwhile
            isPassed = true
            if fd >= 0 { shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }
}
