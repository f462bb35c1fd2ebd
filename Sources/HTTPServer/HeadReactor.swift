@preconcurrency import Glibc
import Foundation
import POSIX

/// One thread with epoll that owns the listener and every connection not being served: new ones
/// (TLS handshake, first request head), kept-alive ones between requests, and answered ones lingering
/// before they close. A waiting connection costs a socket, a parser and a timer entry (about 1-2 KiB
/// of memory) and no thread; once its head is complete it goes to the worker pool, and a worker gives
/// it back after the response. See HeadReactor+Connections.swift for the steps on one connection.
final class HeadReactor: @unchecked Sendable {
    static let listenerToken = UInt64.max
    static let wakeToken = UInt64.max - 1
    /// How long a connection refused at accept lingers, and how many do at once (the rest just close).
    static let rejectedLinger = (seconds: 0.5, bytes: 64 * 1024)
    /// How long an answered connection that will not be reused lingers.
    static let answeredLinger = (seconds: 1.0, bytes: 1 << 20)

    unowned let server: HTTPServer
    let configuration: HTTPServerConfiguration
    let epoll: Epoll
    private var listenFD: Int32
    private let wakePipe: [Int32]
    /// Connections this thread owns, by id (the epoll token).
    var waiting: [UInt64: ServerConnection] = [:]
    var timers = DeadlineQueues()
    /// Where reads land; bytes past a complete head are copied out for the worker.
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 * 1024, alignment: 16)
    /// Refused connections lingering right now.
    var rejectionsLingering = 0
    /// Set after accept ran out of descriptors: the listener is ignored until then.
    private var listenerPausedUntil: Deadline?

    // Shared with workers and shutdown(), behind `lock`.
    private let lock = NSLock()
    private var inbox: [(connection: ServerConnection, linger: Bool)] = []
    private var stopRequested = false
    private var running = true
    /// Read by this thread only, copied from `stopRequested`.
    private(set) var stopping = false

    init(server: HTTPServer, listenFD: Int32) throws {
        self.server = server
        configuration = server.configuration
        self.listenFD = listenFD
        epoll = try Epoll()
        var pipeFDs: [Int32] = [-1, -1]
        try systemCall("pipe", "creating the reactor's wake-up pipe") { pipe(&pipeFDs) }
        wakePipe = pipeFDs
        do {
            for end in pipeFDs {
                try setNonBlocking(end)
                try systemCall("fcntl", "setting FD_CLOEXEC") { fcntl(end, F_SETFD, FD_CLOEXEC) }
            }
            try epoll.add(listenFD, token: Self.listenerToken, events: .readable)
            try epoll.add(pipeFDs[0], token: Self.wakeToken, events: .readable)
        } catch {
            pipeFDs.forEach { close($0) }
            throw error
        }
    }

    deinit {
        wakePipe.forEach { close($0) }
        scratch.deallocate()
    }

    /// Makes the loop close the listener, close connections that wait without a partial head, and end
    /// once no connection is left. Returns at once.
    func stop() {
        lock.withLock { stopRequested = true }
        wake()
    }

    /// Takes back a connection from a worker: to await its next request head, or to linger and close.
    func handBack(_ connection: ServerConnection, linger: Bool) {
        let accepted = lock.withLock { () -> Bool in
            guard running else { return false }
            inbox.append((connection, linger))
            return true
        }
        if accepted { return wake() }
        connection.socket.close()
        server.release(connection)
    }

    /// Interrupts epoll_wait (a full pipe already has a wake-up pending).
    func wake() {
        var byte: UInt8 = 1
        _ = write(wakePipe[1], &byte, 1)
    }

    func run() {
        while true {
            epoll.wait(until: nextWakeUp()) { token, events in
                switch token {
                case Self.listenerToken: acceptConnections()
                case Self.wakeToken: drainWakePipe()
                default: if let connection = waiting[token] { advance(connection, events: events) }
                }
            }
            takeInbox()
            expireTimers()
            turnAwayStaleRequests()
            resumeListenerIfDue()
            if stopping && listenFD >= 0 { closeListener() }
            if stopping && finished() { return }
        }
    }

    private func nextWakeUp() -> Deadline? {
        [timers.next, listenerPausedUntil, server.workers.nextExpiry].compactMap { $0 }.min()
    }

    private func drainWakePipe() {
        var bytes = [UInt8](repeating: 0, count: 64)
        while read(wakePipe[0], &bytes, bytes.count) > 0 {}
    }

    private func takeInbox() {
        let (arrived, stop) = lock.withLock { () -> ([(connection: ServerConnection, linger: Bool)], Bool) in
            defer { inbox.removeAll() }
            return (inbox, stopRequested)
        }
        stopping = stop
        for (connection, linger) in arrived {
            if linger { adopt(connection, phase: .lingering) } else { adopt(connection, phase: .idle) }
        }
    }

    /// Whether the loop may end: stopping, no connection here, none coming back, none open anywhere.
    private func finished() -> Bool {
        lock.withLock {
            guard waiting.isEmpty && inbox.isEmpty && server.openConnectionCount == 0 else { return false }
            running = false
            return true
        }
    }

    private func closeListener() {
        epoll.remove(listenFD)
        close(listenFD)
        listenFD = -1
        server.listenerClosed()
        // Connections with nothing started close now; a partial head may still complete and be served.
        for connection in Array(waiting.values) where connection.phase != .lingering {
            if connection.phase == .securing || !connection.parser.hasPartialHead { discard(connection) }
        }
    }

    private func acceptConnections() {
        // A bounded batch per wake-up, so a flood of connects does not starve the waiting heads.
        for _ in 0..<64 {
            var address = sockaddr_storage()
            let fd = acceptNonBlocking(listenFD, &address)
            guard fd >= 0 else {
                // Out of descriptors: stop watching the listener for a moment instead of spinning on it.
                if errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM {
                    epoll.remove(listenFD)
                    listenerPausedUntil = .after(0.05)
                }
                return
            }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let connection = server.admit(ConnectionSocket(fd: fd, remoteAddress: ConnectionSocket.describe(address)))
            if connection.admitted {
                adopt(connection, phase: configuration.tls == nil ? .awaitingHead : .securing)
            } else {
                reject(connection)
            }
        }
    }

    private func resumeListenerIfDue() {
        guard let until = listenerPausedUntil, until <= .now, listenFD >= 0 else { return }
        listenerPausedUntil = nil
        try? epoll.add(listenFD, token: Self.listenerToken, events: .readable)
    }
}
