@preconcurrency import Glibc
import Foundation
import POSIX

/// An HTTP/1.1 server built for thousands of open connections and tens of requests at once (docking
/// stations, court downloads): one reactor thread with epoll awaits every request head (HeadReactor),
/// and a bounded pool of worker threads serves requests whose head is complete, with blocking I/O and
/// poll() timeouts, where simple threads are easier to reason about than an event loop. A slow or idle
/// connection therefore costs a socket and a few hundred bytes, never a worker; a body holds its worker
/// only while it keeps the pace of `minBodyBytesPerSecond`.
public final class HTTPServer: @unchecked Sendable {
    private enum State { case idle, running, stopping, stopped }

    /// The configuration the server was made with.
    public let configuration: HTTPServerConfiguration
    let handler: any HTTPHandler
    let observer: (any HTTPServerObserver)?
    /// Serves requests with a complete head; `maxConnections` at once, `maxQueuedRequests` waiting.
    private(set) var workers: WorkerPool!

    /// Guards every mutable property below; `broadcast()` whenever the stop condition may change.
    private let condition = NSCondition()
    private var state = State.idle
    private var reactor: HeadReactor?
    private var listenerOpen = false
    private var reactorRunning = false
    /// Every admitted connection, wherever it is (reactor or worker), for the grace-period cut-off.
    private var connections: [UInt64: ConnectionSocket] = [:]
    private var connectionsPerPeer: [String: Int] = [:]
    private var nextConnectionID: UInt64 = 1
    private var stats = HTTPServerStatistics()
    private var boundPort: UInt16?

    /// A server that is not listening yet: call `start()`. The observer, if any, sees every request.
    public init(configuration: HTTPServerConfiguration = HTTPServerConfiguration(), handler: any HTTPHandler,
                observer: (any HTTPServerObserver)? = nil) {
        self.configuration = configuration
        self.handler = handler
        self.observer = observer
        workers = WorkerPool(maxWorkers: configuration.maxConnections, maxQueued: configuration.maxQueuedRequests,
                             maxWait: configuration.maxQueueWait) { [unowned self] request in
            HTTPConnection(request, server: self).run()
        }
    }

    /// The bound port once started.
    public var port: UInt16? { locked { boundPort } }

    /// A snapshot of the server's counters.
    public var statistics: HTTPServerStatistics {
        var s = locked {
            var s = stats
            s.openConnections = connections.count
            return s
        }
        (s.requestsInProgress, s.requestsQueued) = workers.load
        return s
    }

    /// Whether `shutdown()` was called: connections finish their current request and close.
    var isStopping: Bool { locked { state != .running } }
    var openConnectionCount: Int { locked { connections.count } }

    /// Binds, listens and starts accepting; returns the bound port (useful with port 0).
    @discardableResult
    public func start() throws -> UInt16 {
        try locked {
            guard state == .idle else { throw SystemError(call: "start", errno: EALREADY, context: "starting") }
        }
        if configuration.tls != nil {
            // The security layer writes to sockets with write(2), not send(MSG_NOSIGNAL): a peer that went
            // away would raise SIGPIPE and kill the process.
            signal(SIGPIPE, SIG_IGN)
        }
        // Each open connection is a descriptor; the rest is headroom for files, the catalog and refusals.
        raiseOpenFileLimit(to: configuration.maxOpenConnections + configuration.maxConnections + 1024)
        let fd = try Listener.bind(host: configuration.host, port: configuration.port, backlog: configuration.backlog)
        let port = Listener.localPort(of: fd)
        let reactor: HeadReactor
        do {
            reactor = try HeadReactor(server: self, listenFD: fd)
        } catch {
            close(fd)
            throw error
        }
        locked {
            self.reactor = reactor
            boundPort = port
            state = .running
            listenerOpen = true
            reactorRunning = true
        }
        let thread = Thread { [self] in
            reactor.run()
            locked {
                reactorRunning = false
                finishIfDrained()
            }
        }
        thread.name = "http-reactor"
        thread.start()
        return port
    }

    /// Stops accepting (the port is closed when this returns), closes idle connections, lets in-flight
    /// requests (and heads already partly received) finish for up to `gracePeriod` (default from the
    /// configuration), then cuts them off. Returns without waiting for them: call `waitUntilStopped()`.
    public func shutdown(gracePeriod: Double? = nil) {
        let reactor = locked { () -> HeadReactor? in
            guard state == .running else { return nil }
            state = .stopping
            return self.reactor
        }
        guard let reactor else { return }
        reactor.stop()
        locked { while listenerOpen { condition.wait() } }
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

    /// Counts a new connection in, or refuses it over `maxOpenConnections` or `maxConnectionsPerPeer`.
    func admit(_ socket: ConnectionSocket) -> ServerConnection {
        let peer = HTTPConnectionInfo.host(of: socket.remoteAddress)
        return locked {
            let id = nextConnectionID
            nextConnectionID += 1
            let admitted = connections.count < configuration.maxOpenConnections
                && connectionsPerPeer[peer, default: 0] < configuration.maxConnectionsPerPeer
            if admitted {
                connections[id] = socket
                connectionsPerPeer[peer, default: 0] += 1
                stats.connectionsAccepted += 1
            } else {
                stats.connectionsRejected += 1
            }
            return ServerConnection(id: id, socket: socket, peer: peer, admitted: admitted,
                                    limits: configuration.limits)
        }
    }

    /// Counts a closed connection out.
    func release(_ connection: ServerConnection) {
        let reactorToWake = locked { () -> HeadReactor? in
            guard connections.removeValue(forKey: connection.id) != nil else { return nil }
            let left = connectionsPerPeer[connection.peer, default: 1] - 1
            connectionsPerPeer[connection.peer] = left > 0 ? left : nil
            finishIfDrained()
            return state == .stopping && connections.isEmpty ? reactor : nil
        }
        // The reactor ends once the last connection is gone.
        reactorToWake?.wake()
    }

    func listenerClosed() {
        locked {
            listenerOpen = false
            condition.broadcast()
        }
    }

    /// Writes the error answer to a request that is refused, and records it; the caller closes.
    func answer(_ connection: ServerConnection, _ error: HTTPRequestError, method: String, path: String,
                writeTimeout: Double) {
        let writer = ResponseWriter(socket: connection.socket, writeTimeout: writeTimeout)
        let bytesOut = (try? writer.write(.refusal(error), headOnly: false, keepAlive: false)) ?? 0
        recordCompleted(HTTPRequestRecord(
            method: method, path: path, status: error.status.code, duration: 0, bodyBytesIn: 0, bytesOut: bytesOut,
            connectionID: connection.id))
    }

    /// Gives a connection back to the reactor after a request: to await the next head, or to linger and close.
    func handBack(_ connection: ServerConnection, linger: Bool) {
        guard let reactor = locked({ reactor }) else {
            connection.socket.close()
            return release(connection)
        }
        reactor.handBack(connection, linger: linger)
    }

    /// Called with the lock held.
    private func finishIfDrained() {
        if state == .stopping && !reactorRunning && connections.isEmpty {
            state = .stopped
            reactor = nil
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
