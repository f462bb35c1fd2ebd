import POSIX

/// The reactor's steps on one connection. Each returns as soon as the socket would block.
extension HeadReactor {
    /// Starts watching a connection that is new, back from a worker, or refused at accept.
    func adopt(_ connection: ServerConnection, phase: ServerConnection.Phase) {
        guard register(connection) else { return }
        switch phase {
        case .lingering:
            linger(connection, for: Self.answeredLinger)
        case .idle where stopping && !connection.parser.hasPartialHead:
            discard(connection)
        case .idle, .awaitingHead:
            // A partial head left by a pipelined request keeps the header timeout running from now.
            let partial = phase == .awaitingHead || connection.parser.hasPartialHead
            connection.phase = partial ? .awaitingHead : .idle
            arm(connection, after: partial ? configuration.headerTimeout : configuration.idleTimeout)
            // Bytes may already be there, or inside the TLS layer where epoll cannot see them.
            if phase == .idle { readHead(connection) }
        case .securing:
            connection.phase = .securing
            arm(connection, after: configuration.headerTimeout)
        }
    }

    /// Adds a connection to the watched ones; false if epoll refused it (it is closed then).
    private func register(_ connection: ServerConnection) -> Bool {
        waiting[connection.id] = connection
        connection.interest = .readable
        guard (try? epoll.add(connection.socket.descriptor, token: connection.id, events: .readable)) != nil else {
            discard(connection)
            return false
        }
        return true
    }

    func advance(_ connection: ServerConnection, events: Epoll.Events) {
        switch connection.phase {
        case .lingering: drain(connection)
        case .securing: secure(connection)
        case .awaitingHead, .idle: readHead(connection)
        }
    }

    /// TLS: refuse plain HTTP in plain text, else drive the handshake as far as the socket allows.
    private func secure(_ connection: ServerConnection) {
        guard let tls = configuration.tls else { return discard(connection) }
        do {
            if !connection.sawFirstByte {
                // A peer that resets before its first byte never began a handshake: nothing to report.
                guard let first = try? connection.socket.peekNow() else { return discard(connection) }
                switch first {
                case .wait: return
                case .done(let byte) where byte < 0: return discard(connection)
                case .done(let byte):
                    // A request line starts with a method in capitals; a TLS record never does.
                    if (Int(UInt8(ascii: "A"))...Int(UInt8(ascii: "Z"))).contains(byte) {
                        return refuse(connection, HTTPRequestError(
                            .badRequest, "this port speaks HTTPS only: use an https:// URL"))
                    }
                    connection.sawFirstByte = true
                }
            }
            switch try connection.socket.handshakeNow(with: tls) {
            case .wait(let events): watch(connection, for: events)
            case .done:
                connection.phase = .awaitingHead
                watch(connection, for: .readable)
                readHead(connection)  // the client's first request may have come with its last flight
            }
        } catch {
            server.observer?.handshakeFailed(remoteAddress: connection.socket.remoteAddress,
                                             reason: String(describing: error))
            discard(connection)
        }
    }

    /// Reads what is available into the head parser; hands the connection on once the head is complete.
    func readHead(_ connection: ServerConnection) {
        do {
            while true {
                let step = try connection.socket.receiveNow(into: scratch)
                guard case .done(let count) = step else {
                    if case .wait(let events) = step { watch(connection, for: events) }
                    return
                }
                guard count > 0 else {
                    if !connection.parser.hasPartialHead { return discard(connection) }
                    throw HTTPRequestError(.badRequest, "connection closed inside the request head")
                }
                if connection.phase == .idle {
                    // A kept-alive connection at shutdown takes no new request.
                    if stopping { return discard(connection) }
                    connection.phase = .awaitingHead
                    arm(connection, after: configuration.headerTimeout)
                }
                let received = UnsafeRawBufferPointer(rebasing: scratch[0..<count])
                let (consumed, head) = try connection.parser.parse(received)
                if let head {
                    return handOff(connection, head: head, leftover: Array(received[consumed...]))
                }
            }
        } catch let error as HTTPRequestError {
            refuse(connection, error)
        } catch {
            discard(connection)
        }
    }

    /// Gives a connection with a complete head to the worker pool, or answers 503 when its queue is full.
    private func handOff(_ connection: ServerConnection, head: HTTPRequestHead, leftover: [UInt8]) {
        epoll.remove(connection.socket.descriptor)
        waiting[connection.id] = nil
        connection.generation += 1
        guard !server.workers.submit(ReadyRequest(connection: connection, head: head, leftover: leftover)) else {
            return
        }
        turnAway(ReadyRequest(connection: connection, head: head, leftover: []), "server busy: try again shortly")
    }

    /// Answers 503 to the requests that waited for a worker for `maxQueueWait`: their clients may have
    /// given up, and serving them late would only keep the queue long.
    func turnAwayStaleRequests() {
        for request in server.workers.takeExpired() {
            turnAway(request, "no worker was free for \(configuration.maxQueueWait) s: try again shortly")
        }
    }

    /// Takes back a request no worker will serve, answers it 503 (with Retry-After), lingers and closes.
    private func turnAway(_ request: ReadyRequest, _ reason: String) {
        adopt(request.connection, phase: .awaitingHead)
        refuse(request.connection, HTTPRequestError(.serviceUnavailable, reason),
               method: request.head.method, path: request.head.path)
    }

    /// Answers `error` without waiting on the socket (the answer is small), then lingers and closes.
    func refuse(_ connection: ServerConnection, _ error: HTTPRequestError, method: String = "", path: String = "") {
        server.answer(connection, error, method: method, path: path, writeTimeout: 0)
        linger(connection, for: Self.answeredLinger)
    }

    /// Refuses a connection over the open-connection or per-peer limit: 503, or over TLS what the security
    /// layer sends before a handshake (a close_notify), then a short lingering close if not too many are
    /// lingering already.
    func reject(_ connection: ServerConnection) {
        server.observer?.connectionRejected()
        let farewell = configuration.tls?.refusal ?? []
        guard configuration.tls == nil || !farewell.isEmpty, rejectionsLingering < configuration.maxConnections else {
            return connection.socket.close()
        }
        if configuration.tls == nil {
            let response = HTTPResponse.refusal(HTTPRequestError(.serviceUnavailable, "too many connections"))
            _ = try? ResponseWriter(socket: connection.socket, writeTimeout: 0)
                .write(response, headOnly: false, keepAlive: false)
        } else {
            try? connection.socket.send(farewell, until: .now)
        }
        rejectionsLingering += 1
        connection.phase = .lingering  // counted down when it closes
        if register(connection) { linger(connection, for: Self.rejectedLinger) }
    }

    /// Half-closes and discards what still arrives, so the peer reads the answer instead of a reset.
    private func linger(_ connection: ServerConnection, for limits: (seconds: Double, bytes: Int)) {
        connection.socket.beginLingeringClose()
        connection.phase = .lingering
        connection.lingerBudget = limits.bytes
        watch(connection, for: .readable)
        arm(connection, after: limits.seconds)
        drain(connection)
    }

    private func drain(_ connection: ServerConnection) {
        while connection.lingerBudget > 0 {
            // Raw reads: whatever still arrives is discarded, so it need not be decrypted.
            guard let step = try? connection.socket.receivePlainNow(into: scratch) else { break }
            guard case .done(let count) = step else { return }
            guard count > 0 else { break }
            connection.lingerBudget -= count
        }
        discard(connection)
    }

    /// Stops watching a connection and closes it.
    func discard(_ connection: ServerConnection) {
        guard waiting.removeValue(forKey: connection.id) != nil else { return }
        epoll.remove(connection.socket.descriptor)
        connection.socket.close()
        connection.generation += 1
        if connection.admitted {
            server.release(connection)
        } else if connection.phase == .lingering {
            rejectionsLingering -= 1
        }
    }

    func expireTimers() {
        for entry in timers.expire() {
            guard let connection = waiting[entry.token], connection.generation == entry.generation else { continue }
            switch connection.phase {
            case .securing:
                if connection.sawFirstByte {
                    server.observer?.handshakeFailed(remoteAddress: connection.socket.remoteAddress, reason: "timeout")
                }
                discard(connection)
            case .awaitingHead where connection.parser.hasPartialHead:
                // Part of a head arrived, but not all of it in time (slowloris).
                refuse(connection, HTTPRequestError(.requestTimeout, "request head not received in time"))
            case .awaitingHead, .idle, .lingering:
                discard(connection)
            }
        }
    }

    private func watch(_ connection: ServerConnection, for events: Epoll.Events) {
        guard connection.interest != events else { return }
        connection.interest = events
        if (try? epoll.modify(connection.socket.descriptor, token: connection.id, events: events)) == nil {
            discard(connection)
        }
    }

    private func arm(_ connection: ServerConnection, after seconds: Double) {
        connection.generation += 1
        timers.arm(connection.id, generation: connection.generation, after: seconds)
    }
}
