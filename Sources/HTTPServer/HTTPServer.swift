@preconcurrency import Glibc
import Foundation

/// An HTTP/1.1 server: one accept thread, one thread per connection doing blocking I/O with poll()
/// timeouts. Meant for tens of concurrent connections (docking stations, court downloads), where
/// simple threads are easier to reason about than an event loop.
public final class HTTPServer: @unchecked Sendable {
    private enum State { case idle, running, stopping, stopped }

    /// The configuration the server was made with.
    public let configuration: HTTPServerConfiguration
    let handler: any HTTPHandler
    let observer: (any HTTPServerObserver)?

    /// Guards every mutable property below; `broadcast()` whenever the stop condition may change.
    private let condition = NSCondition()
    private var state = State.idle
    private var listenFD: Int32 = -1
    /// Written once at shutdown and never drained, so every idle poll on it wakes immediately.
    private var wakePipe: [Int32] = [-1, -1]
    private var connections: [UInt64: ConnectionSocket] = [:]
    private var nextConnectionID: UInt64 = 1
    private var acceptThreadRunning = false
    private var rejectionsInProgress = 0
    private var stats = HTTPServerStatistics()
    private var boundPort: UInt16?

    /// A server that is not listening yet: call `start()`. The observer, if any, sees every request.
    public init(configuration: HTTPServerConfiguration = HTTPServerConfiguration(), handler: any HTTPHandler,
                observer: (any HTTPServerObserver)? = nil) {
        self.configuration = configuration
        self.handler = handler
        self.observer = observer
    }

    deinit {
        for fd in wakePipe where fd >= 0 { close(fd) }
        if listenFD >= 0 { close(listenFD) }
    }

    /// The bound port once started.
    public var port: UInt16? { locked { boundPort } }

    /// A snapshot of the server's counters.
    public var statistics: HTTPServerStatistics {
        locked {
            var s = stats
            s.openConnections = connections.count
            return s
        }
    }

    /// Whether `shutdown()` was called: connections finish their current request and close.
    var isStopping: Bool { locked { state != .running } }
    var wakeFD: Int32 { locked { wakePipe[0] } }

    /// Binds, listens and starts accepting; returns the bound port (useful with port 0).
    @discardableResult
    public func start() throws -> UInt16 {
        try locked {
            guard state == .idle else { throw SystemCallError(call: "start", errno: EALREADY, context: "starting") }
        }
        if configuration.tls != nil {
            // The security layer writes to sockets with write(2), not send(MSG_NOSIGNAL): a peer that went
            // away would raise SIGPIPE and kill the process.
            signal(SIGPIPE, SIG_IGN)
        }
        let fd = try Listener.bind(host: configuration.host, port: configuration.port, backlog: configuration.backlog)
        let port = Listener.localPort(of: fd)
        var pipeFDs: [Int32] = [-1, -1]
        do {
            try systemCall("pipe", "creating the shutdown pipe") { pipe(&pipeFDs) }
            for end in pipeFDs {
                try setNonBlocking(end)
                try systemCall("fcntl", "setting FD_CLOEXEC") { fcntl(end, F_SETFD, FD_CLOEXEC) }
            }
        } catch {
            close(fd)
            for end in pipeFDs where end >= 0 { close(end) }
            throw error
        }
        let wakeRead = pipeFDs[0]
        locked {
            listenFD = fd
            wakePipe = pipeFDs
            boundPort = port
            state = .running
            acceptThreadRunning = true
        }
        let thread = Thread { [self] in acceptLoop(listenFD: fd, wakeFD: wakeRead) }
        thread.name = "http-accept"
        thread.start()
        return port
    }

    /// Stops accepting (the port is closed when this returns), closes idle connections, lets in-flight
    /// requests finish for up to `gracePeriod` (default from the configuration), then cuts them off.
    /// Returns without waiting for them: call `waitUntilStopped()`.
    public func shutdown(gracePeriod: Double? = nil) {
        let (wasRunning, writeFD) = locked { () -> (Bool, Int32) in
            guard state == .running else { return (false, -1) }
            state = .stopping
            return (true, wakePipe[1])
        }
        guard wasRunning else { return }
        var byte: UInt8 = 1
        _ = write(writeFD, &byte, 1)
        // Closing the listener only once the accept thread has left poll: never close a descriptor that
        // another thread is still using.
        locked {
            while acceptThreadRunning { condition.wait() }
            close(listenFD)
            listenFD = -1
            finishIfDrained()
        }
        let grace = gracePeriod ?? configuration.shutdownGracePeriod
        DispatchQueue.global().asyncAfter(deadline: .now() + grace) { [self] in
            locked { connections.values.forEach { $0.forceShutdown() } }
        }
    }

    /// Blocks until the server has stopped: not accepting and every connection closed. Returns at once
    /// for a server that was never started.
    public func waitUntilStopped() {
        locked { while state != .stopped && state != .idle { condition.wait() } }
    }

    /// Like `waitUntilStopped()` but gives up after `timeout` seconds; returns whether it stopped.
    public func waitUntilStopped(timeout: Double) -> Bool {
        let limit = Date(timeIntervalSinceNow: timeout)
        return locked {
            while state != .stopped && state != .idle {
                if !condition.wait(until: limit) { return state == .stopped }
            }
            return true
        }
    }

    private func acceptLoop(listenFD: Int32, wakeFD: Int32) {
        defer {
            locked {
                acceptThreadRunning = false
                condition.broadcast()
            }
        }
        while true {
            do {
                try waitFor(listenFD, events: Int16(POLLIN), until: .distantFuture, wakeFD: wakeFD)
            } catch {
                return  // woken for shutdown (poll itself does not fail on valid descriptors)
            }
            var address = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    accept(listenFD, $0, &length)
                }
            }
            guard fd >= 0 else {
                // EMFILE/ENFILE: back off instead of spinning; EAGAIN/ECONNABORTED: the peer is gone.
                if errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM { usleep(50_000) }
                continue
            }
            // accept4 is not visible from Swift's Glibc module, so flags are set after the fact.
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            guard (try? setNonBlocking(fd)) != nil else {
                close(fd)
                continue
            }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            admit(ConnectionSocket(fd: fd, remoteAddress: ConnectionSocket.describe(address)))
        }
    }

    private func admit(_ socket: ConnectionSocket) {
        let peer = HTTPConnectionInfo.host(of: socket.remoteAddress)
        let id: UInt64? = locked {
            guard connections.count < configuration.maxConnections,
                  connections.values.lazy.filter({ HTTPConnectionInfo.host(of: $0.remoteAddress) == peer })
                      .count < configuration.maxConnectionsPerPeer else {
                stats.connectionsRejected += 1
                return nil
            }
            let id = nextConnectionID
            nextConnectionID += 1
            connections[id] = socket
            stats.connectionsAccepted += 1
            return id
        }
        guard let id else { return reject(socket) }
        let thread = Thread { [self] in
            HTTPConnection(id: id, socket: socket, server: self).run()
            locked {
                connections[id] = nil
                finishIfDrained()
            }
        }
        thread.name = "http-conn-\(id)"
        thread.start()
    }

    /// Answers 503 and closes. A short-lived thread does the lingering close so the client reads the
    /// 503 instead of a reset; beyond `maxConnections` such threads, the socket is just closed.
    private func reject(_ socket: ConnectionSocket) {
        observer?.connectionRejected()
        // A TLS client cannot read a plain-text 503, and a handshake here would stall the accept loop.
        if configuration.tls != nil { return socket.close() }
        let response = HTTPResponse.error(HTTPRequestError(.serviceUnavailable, "too many connections"))
        let writer = ResponseWriter(socket: socket, writeTimeout: 0)
        _ = try? writer.write(response, headOnly: false, keepAlive: false)
        let spawn = locked { () -> Bool in
            guard rejectionsInProgress < configuration.maxConnections else { return false }
            rejectionsInProgress += 1
            return true
        }
        guard spawn else { return socket.close() }
        Thread { [self] in
            socket.lingeringClose(maxWait: 0.5, maxBytes: 64 * 1024)
            locked { rejectionsInProgress -= 1 }
        }.start()
    }

    /// Called with the lock held.
    private func finishIfDrained() {
        if state == .stopping && !acceptThreadRunning && connections.isEmpty {
            state = .stopped
            for fd in wakePipe where fd >= 0 { close(fd) }
            wakePipe = [-1, -1]
        }
        condition.broadcast()
    }

    func recordCompleted(_ record: HTTPRequestRecord) {
        locked { stats.requestsCompleted += 1 }
        observer?.requestCompleted(record)
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        condition.lock()
        defer { condition.unlock() }
        return try body()
    }
}
