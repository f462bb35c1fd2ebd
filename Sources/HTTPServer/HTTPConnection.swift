/// Serves a connection's request on a worker thread, then the requests pipelined behind it whose heads
/// already arrived, and gives the connection back to the reactor (to await the next head, or to linger
/// and close).
final class HTTPConnection {
    private let connection: ServerConnection
    private let socket: ConnectionSocket
    private unowned let server: HTTPServer
    private let configuration: HTTPServerConfiguration
    private let input: InputBuffer
    private let first: HTTPRequestHead

    init(_ request: ReadyRequest, server: HTTPServer) {
        connection = request.connection
        socket = connection.socket
        self.server = server
        configuration = server.configuration
        input = InputBuffer(capacity: 64 * 1024)
        input.append(request.leftover)
        first = request.head
    }

    /// Serves until the connection closes or no complete head is left in the input.
    func run() {
        var head = first
        while true {
            guard serve(head) else { return }
            connection.requestIndex += 1
            do {
                let (consumed, next) = try connection.parser.parse(input.readable)
                input.consume(consumed)
                guard let next else { return server.handBack(connection, linger: false) }
                head = next
            } catch let error as HTTPRequestError {
                return refuse(error)
            } catch {
                return close()
            }
        }
    }

    /// Runs the handler for one request and writes its response; returns whether to keep the connection.
    private func serve(_ head: HTTPRequestHead) -> Bool {
        let start = Deadline.now
        let reader = ConnectionBodyReader(head: head, socket: socket, input: input, limits: configuration.limits,
                                          timeout: configuration.bodyReadTimeout,
                                          pace: BodyPace(bytesPerSecond: configuration.minBodyBytesPerSecond,
                                                         window: configuration.bodyPaceWindow))
        var declared: Int64?
        if case .contentLength(let length) = head.framing { declared = length }
        let body = HTTPBody(source: reader, declaredLength: declared)
        let info = HTTPConnectionInfo(id: connection.id, remoteAddress: socket.remoteAddress,
                                      requestIndex: connection.requestIndex)
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
        var bodySent: Int64 = 0
        var written = true
        let whenSent = response.whenSent
        do {
            bytesOut = try writer.write(response, headOnly: head.method == "HEAD", keepAlive: keepAlive,
                                        bodySent: &bodySent)
            whenSent?(HTTPBodyDelivery(bytes: bodySent, complete: true))
        } catch ResponseWriter.Failure.fileUnavailable {
            whenSent?(HTTPBodyDelivery(bytes: 0, complete: false))
            // Nothing was sent yet: a file the handler named cannot be read, which is the server's fault.
            response = .error(HTTPRequestError(.internalServerError, "the response body could not be read"))
            keepAlive = false
            bytesOut = (try? writer.write(response, headOnly: false, keepAlive: false)) ?? 0
            written = bytesOut > 0
        } catch {
            written = false
            whenSent?(HTTPBodyDelivery(bytes: bodySent, complete: false))
        }
        server.recordCompleted(HTTPRequestRecord(
            method: head.method, path: head.path, status: response.status.code,
            duration: Deadline.now.seconds(since: start), bodyBytesIn: body.bytesRead, bytesOut: bytesOut,
            connectionID: connection.id))
        guard written && keepAlive else {
            // Even with the body read, pipelined requests may sit unread: close without a reset (the
            // reactor lingers, so the worker is free at once).
            if written { server.handBack(connection, linger: true) } else { close() }
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

    /// Answers a pipelined request that could not be parsed, then closes.
    private func refuse(_ error: HTTPRequestError) {
        server.answer(connection, error, method: "", path: "", writeTimeout: min(configuration.writeTimeout, 5))
        server.handBack(connection, linger: true)
    }

    private func close() {
        socket.close()
        server.release(connection)
    }
}
