@preconcurrency import Glibc
import HTTPServer
import TestSupport
import XCTest

/// Thousands of idle or slow connections cost the server a socket each, never one of its workers: a
/// dock's upload and `/healthz` are still served at once, and the memory they take stays small.
final class WaitingConnectionsTests: XCTestCase {
    static let waitingCount = 2_000
    /// Per address: the per-peer cap is no defence against many addresses, so the test uses 32 of them.
    static let addresses = (2...33).map { "127.0.0.\($0)" }

    /// Echoes the body's length and hash, so an upload is checked byte for byte.
    static let upload: HTTPClosureHandler.Closure = { request, body, _ in
        let bytes = try body.readAll(limit: 64 << 20)
        return .text(.ok, "\(request.method) \(request.path) \(bytes.count) \(FNV1a.hash(bytes))")
    }

    /// Half the connections send nothing, half trickle a request head that never ends, a byte a second.
    final class WaitingClients: @unchecked Sendable {
        let silent: [RawClient]
        let trickling: [RawClient]
        private let stop = Locked(false)
        static let head = Array("GET /never HTTP/1.1\r\nHost: h\r\nX-Slow: ".utf8) + Array(repeating: 0x61, count: 500)

        init(_ count: Int, port: UInt16, interval: Double, server: HTTPServer) throws {
            try raiseDescriptorLimit(to: 3 * count + 1024)
            var silent: [RawClient] = []
            var trickling: [RawClient] = []
            for index in 0..<count {
                let client = try RawClient(port: port, receiveTimeout: 30,
                                           from: WaitingConnectionsTests.addresses[index % 32])
                if index.isMultiple(of: 2) {
                    silent.append(client)
                } else {
                    client.send([Self.head[0]])  // a head is started at once, whatever the time it takes to open all
                    trickling.append(client)
                }
                // Never far ahead of the accepts, so the listen backlog (128) never overflows into SYN retries.
                if index % 50 == 49 {
                    let limit = Date(timeIntervalSinceNow: 10)
                    while server.statistics.openConnections < index + 1 {
                        // The old thread-per-connection server stopped at 64: fail at once, not 40 times.
                        guard Date() < limit else { throw Refused(open: server.statistics.openConnections) }
                        usleep(5_000)
                    }
                }
            }
            self.silent = silent
            self.trickling = trickling
            let (clients, head, stop) = (trickling, Self.head, stop)
            let thread = Thread {
                for byte in head.dropFirst() where !stop.get() {
                    clients.forEach { $0.send([byte]) }
                    Thread.sleep(forTimeInterval: interval)
                }
            }
            thread.start()
        }

        struct Refused: Error { let open: Int }

        func stopTrickling() { stop.set(true) }
        deinit { stop.set(true) }
    }

    func testAnUploadAndHealthChecksAreServedAtOnceBesideTwoThousandWaitingConnections() throws {
        let configuration = HTTPServerConfiguration(headerTimeout: 120, idleTimeout: 120, maxConnectionsPerPeer: 64)
        let live = try LiveServer(configuration, handler: Self.upload)
        defer { live.stop() }
        let waiting = try WaitingClients(Self.waitingCount, port: live.port, interval: 1, server: live.server)
        defer { waiting.stopTrickling() }
        eventually(timeout: 20) { live.server.statistics.openConnections == Self.waitingCount }

        let body = randomBytes(4 << 20, seed: 7)
        var slowest = (upload: 0.0, health: 0.0)
        defer { print("beside \(Self.waitingCount) waiting connections: slowest 4 MiB upload \(slowest.upload) s, "
                      + "slowest /healthz \(slowest.health) s") }
        for round in 0..<3 {
            let started = Date()
            let dock = try RawClient(port: live.port)
            dock.send("PATCH /files/\(round) HTTP/1.1\r\nHost: h\r\nContent-Length: \(body.count)\r\n\r\n")
            dock.send(body)
            let response = dock.readResponse()
            let uploadSeconds = Date().timeIntervalSince(started)
            slowest.upload = max(slowest.upload, uploadSeconds)
            XCTAssertEqual(response?.text, "PATCH /files/\(round) \(body.count) \(FNV1a.hash(body))")
            // A debug build hashes 4 MiB in the handler: the bound leaves room for a loaded machine.
            XCTAssertLessThan(uploadSeconds, 2, "a 4 MiB upload took \(uploadSeconds) s")

            for _ in 0..<5 {
                let asked = Date()
                let probe = try RawClient(port: live.port)
                probe.send("GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n")
                let health = probe.readResponse()
                let seconds = Date().timeIntervalSince(asked)
                slowest.health = max(slowest.health, seconds)
                XCTAssertEqual(health?.status, 200)
                XCTAssertLessThan(seconds, 1, "/healthz took \(seconds) s")
            }
            Thread.sleep(forTimeInterval: 0.5)  // let the tricklers send a few more bytes in between
        }
        XCTAssertEqual(live.server.statistics.connectionsRejected, 0)
        XCTAssertGreaterThanOrEqual(live.server.statistics.openConnections, Self.waitingCount,
                                    "waiting connections were dropped")
        XCTAssertEqual(waiting.silent.count + waiting.trickling.count, Self.waitingCount)
    }

    func testTwoThousandWaitingConnectionsTakeUnder64MiB() throws {
        let configuration = HTTPServerConfiguration(headerTimeout: 120, idleTimeout: 120, maxConnectionsPerPeer: 64)
        let live = try LiveServer(configuration, handler: Self.upload)
        defer { live.stop() }
        // One request first, so a worker thread and the server's buffers exist before the baseline.
        let warm = try RawClient(port: live.port)
        warm.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(warm.readResponse()?.status, 200)
        let before = try residentBytes()
        let waiting = try WaitingClients(Self.waitingCount, port: live.port, interval: 0.05, server: live.server)
        defer { waiting.stopTrickling() }
        eventually(timeout: 20) { live.server.statistics.openConnections == Self.waitingCount + 1 }
        Thread.sleep(forTimeInterval: 1.5)  // every trickling head is some 30 bytes long by now
        // The clients live in this process too: the growth is an upper bound of what the server takes.
        let growth = try residentBytes() - before
        print("resident memory for \(Self.waitingCount) waiting connections: \(growth >> 10) KiB, "
              + "\(growth / Self.waitingCount) bytes each (server and test clients)")
        XCTAssertLessThan(growth, 64 << 20)
    }

    func testSlowHeadsStillTimeOutAllAtOnce() throws {
        let live = try LiveServer(HTTPServerConfiguration(headerTimeout: 2, maxConnectionsPerPeer: 64),
                                  handler: Self.upload)
        defer { live.stop() }
        let started = Date()
        let waiting = try WaitingClients(400, port: live.port, interval: 0.2, server: live.server)
        defer { waiting.stopTrickling() }
        let setUp = Date()
        for client in waiting.trickling {
            let (bytes, closed) = client.readToEnd()
            XCTAssertTrue(closed, "a trickling head was not cut off")
            XCTAssertTrue(String(decoding: bytes, as: UTF8.self).hasPrefix("HTTP/1.1 408 "))
        }
        for client in waiting.silent {
            XCTAssertEqual(client.readToEnd().bytes, [], "a connection that sent nothing is closed quietly")
        }
        // None is cut off before the header timeout of its accept (after `started`); the last accepted
        // (at `setUp`) within the timeout and a margin for a loaded machine, not one after another.
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 1.9)
        let sinceSetUp = Date().timeIntervalSince(setUp)
        XCTAssertLessThan(sinceSetUp, 2 + 5, "the last trickling head was cut off \(sinceSetUp) s after set-up")
        eventually { live.server.statistics.openConnections == 0 }
    }
}

/// Raises this process's soft limit on open descriptors to `needed`; skips the test, saying why, when
/// this machine does not allow that many (the server and its clients share this process).
func raiseDescriptorLimit(to needed: Int) throws {
    var limit = rlimit()
    let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    guard getrlimit(resource, &limit) == 0 else {
        throw XCTSkip("getrlimit(RLIMIT_NOFILE) failed: \(String(cString: strerror(errno)))")
    }
    guard limit.rlim_max >= rlim_t(needed) else {
        throw XCTSkip("needs \(needed) open descriptors; RLIMIT_NOFILE's hard limit is \(limit.rlim_max)")
    }
    guard limit.rlim_cur < rlim_t(needed) else { return }
    limit.rlim_cur = rlim_t(needed)
    guard setrlimit(resource, &limit) == 0 else {
        throw XCTSkip("setrlimit(RLIMIT_NOFILE, \(needed)) failed: \(String(cString: strerror(errno)))")
    }
}
