/// Serves the requests of one connection, in order, on its own thread.
final class HTTPConnection {
    private let id: UInt64
    private let socket: ConnectionSocket
    private unowned let server: HTTPServer
    private let configuration: HTTPServerConfiguration
    private let input: InputBuffer
    private var parser: HTTPRequestHeadParser
    private var requestIndex = 0
    /// The TLS handshake (if any) and the first request head must both arrive by then.
    private let firstHeadDeadline: Deadline

    init(id: UInt64, socket: ConnectionSocket, server: HTTPServer) {
        self.id = id
        self.socket = socket
        self.server = server
        self.configuration = server.configuration
        self.input = InputBuffer(capacity: 64 * 1024)
        self.parser = HTTPRequestHeadParser(limits: configuration.limits)
        self.firstHeadDeadline = .after(configuration.headerTimeout)
    }

    /// Serves requests until the peer closes, a timeout fires, an error forces a close, or shutdown.
    func run() {
        if let tls = configuration.tls {
            guard let first = try? socket.peekFirstByte(until: firstHeadDeadline) else { return socket.close() }
            // A request line starts with a method in capitals; a TLS record never does. Say so in plain text.
            if (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(first) {
                return refuse(HTTPRequestError(.badRequest, "this port speaks HTTPS only: use an https:// URL"),
                              method: "", path: "")
            }
            // A failed or unfinished handshake leaves no channel to answer on: say so to the observer, close.
            do {
                try socket.secure(with: tls, until: firstHeadDeadline)
            } catch {
                let reason = error is WaitError ? "timeout" : String(describing: error)
                server.observer?.handshakeFailed(remoteAddress: socket.remoteAddress, reason: reason)
                return socket.close()
            }
        }
        while true {
            let head: HTTPRequestHead
            do {
                guard let next = try readHead() else { return socket.close() }
                head = next
            } catch let error as HTTPRequestError {
                return refuse(error, method: "", path: "")
            } catch WaitError.timedOut {
                // Part of a head arrived, but not all of it in time (slowloris).
                return refuse(HTTPRequestError(.requestTimeout, "request head not received in time"), method: "",
                              path: "")
            } catch {
                return socket.close()
            }
            guard serve(head) else { return }
            requestIndex += 1
        }
    }

    /// The next request head, or nil when the connection should close quietly (peer closed while idle,
    /// idle timeout, shutdown).
    private func readHead() throws -> HTTPRequestHead? {
        let isFirst = requestIndex == 0
        var deadline = isFirst ? firstHeadDeadline : Deadline.after(configuration.idleTimeout)
        var started = false
        while true {
            if !input.isEmpty {
                if !started && !isFirst { deadline = .after(configuration.headerTimeout) }
                started = true
                let (consumed, head) = try parser.parse(input.readable)
                input.consume(consumed)
                if let head { return head }
                continue
            }
            if !started {
                // Idle between requests: wake for shutdown, end quietly on timeout.
                do {
                    try socket.waitReadable(until: deadline, wakeFD: server.wakeFD)
                } catch is WaitError {
                    return nil
                }
                if server.isStopping && requestIndex > 0 { return nil }
            }
            guard try input.fill(from: socket, until: deadline) > 0 else {
                if started { throw HTTPRequestError(.badRequest, "connection closed inside the request head") }
                return nil
            }
        }
    }

    /// Runs the handler for one request and writes its response; returns whether to keep the connection.
    private func serve(_ head: HTTPRequestHead) -> Bool {
        let start = Deadline.now
        let reader = ConnectionBodyReader(head: head, socket: socket, input: input, limits: configuration.limits,
                                          timeout: configuration.bodyReadTimeout)
        var declared: Int64?
        if case .contentLength(let length) = head.framing { declared = length }
        let body = HTTPBody(source: reader, declaredLength: declared)
        let info = HTTPConnectionInfo(id: id, remoteAddress: socket.remoteAddress, requestIndex: requestIndex)
        var response: HTTPResponse
        do {
            response = try server.handler.handle(head, body: body, connection: info)
        } catch let error as HTTPRequestError {
            response = .error(error)
        } catch {
            response = .error(HTTPRequestError(.internalServerError, "the request could not be handled"))
        }
        var keepAlive = head.keepAlive && !server.isStopping && finishBody(reader, head: head)
        let writer = ResponseWriter(socket: socket, writeTimeout: configuration.writeTimeout)
        var bytesOut: Int64 = 0
        var written = true
        do {
            bytesOut = try writer.write(response, headOnly: head.method == "HEAD", keepAlive: keepAlive)
        } catch ResponseWriter.Failure.fileUnavailable {
            // Nothing was sent yet: a file the handler named cannot be read, which is the server's fault.
            response = .error(HTTPRequestError(.internalServerError, "the response body could not be read"))
            keepAlive = false
            bytesOut = (try? writer.write(response, headOnly: false, keepAlive: false)) ?? 0
            written = bytesOut > 0
        } catch {
            written = false
        }
        server.recordCompleted(HTTPRequestRecord(
            method: head.method, path: head.path, status: response.status.code,
            duration: Deadline.now.seconds(since: start), bodyBytesIn: body.bytesRead, bytesOut: bytesOut,
            connectionID: id))
        guard written && keepAlive else {
            // Even with the body read, pipelined requests may sit unread: close without a reset.
            if written { socket.lingeringClose() } else { socket.close() }
            return false
        }
        return true
    }

    /// Makes sure no unread body bytes are left before reusing the connection; false means close.
    private func finishBody(_ reader: ConnectionBodyReader, head: HTTPRequestHead) -> Bool {
        if reader.isFinished { return true }
        if reader.failed { return false }
        // The client was told to wait for 100 Continue and never got it: it may or may not send the body.
        if head.expectsContinue && !reader.sentContinue { return false }
        if let left = reader.remainingDeclaredBytes, left > Int64(configuration.maxDrainBytes) { return false }
        return reader.drain(limit: configuration.maxDrainBytes)
    }

    /// Answers a request that could not be parsed, then closes.
    private func refuse(_ error: HTTPRequestError, method: String, path: String) {
        let writer = ResponseWriter(socket: socket, writeTimeout: min(configuration.writeTimeout, 5))
        let bytesOut = (try? writer.write(.error(error), headOnly: false, keepAlive: false)) ?? 0
        server.recordCompleted(HTTPRequestRecord(
            method: method, path: path, status: error.status.code, duration: 0, bodyBytesIn: 0, bytesOut: bytesOut,
            connectionID: id))
        socket.lingeringClose()
    }
}
