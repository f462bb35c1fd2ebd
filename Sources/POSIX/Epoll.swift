import CSystem
@preconcurrency import Glibc

/// An epoll(7) instance, level-triggered: the reactor's way to wait on thousands of sockets at once
/// (poll() would scan them all on every wake-up). Each registration carries a 64-bit token.
public final class Epoll {
    /// Readiness events, as epoll reports them.
    public struct Events: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let readable = Events(rawValue: EPOLLIN.rawValue)
        public static let writable = Events(rawValue: EPOLLOUT.rawValue)
        /// Error or hang-up: always reported, whatever was asked for.
        public static let failed = Events(rawValue: EPOLLERR.rawValue | EPOLLHUP.rawValue)
    }

    private let fd: Int32
    private var ready: [epoll_event]

    public init(capacity: Int = 256) throws {
        fd = try systemCall("epoll_create1", "creating the reactor's epoll instance") {
            epoll_create1(Int32(EPOLL_CLOEXEC))
        }
        ready = Array(repeating: epoll_event(), count: capacity)
    }

    deinit { close(fd) }

    public func add(_ socket: Int32, token: UInt64, events: Events) throws {
        try control(EPOLL_CTL_ADD, socket, token: token, events: events)
    }

    public func modify(_ socket: Int32, token: UInt64, events: Events) throws {
        try control(EPOLL_CTL_MOD, socket, token: token, events: events)
    }

    /// Stops watching `socket`; must come before it is closed or handed to another thread.
    public func remove(_ socket: Int32) {
        var event = epoll_event()
        _ = epoll_ctl(fd, EPOLL_CTL_DEL, socket, &event)
    }

    private func control(_ operation: Int32, _ socket: Int32, token: UInt64, events: Events) throws {
        var event = epoll_event()
        event.events = events.rawValue
        event.data.u64 = token
        try systemCall("epoll_ctl", "watching a socket") { epoll_ctl(fd, operation, socket, &event) }
    }

    /// Waits until some registered socket is ready or `timeout` milliseconds pass (-1: forever) and
    /// calls `body` with each ready token and its events.
    public func wait(timeout: Int32, _ body: (UInt64, Events) -> Void) {
        let count = ready.withUnsafeMutableBufferPointer { buffer in
            epoll_wait(fd, buffer.baseAddress, Int32(buffer.count), timeout)
        }
        guard count > 0 else { return }  // timeout or EINTR: the caller loops
        for index in 0..<Int(count) {
            let event = ready[index]
            body(event.data.u64, Events(rawValue: event.events))
        }
    }
}
