@preconcurrency import Glibc
import HTTPServer
import TestSupport
import XCTest

/// Exact bytes on the wire: malformed input, limits, pipelining, unread bodies, handler failures.
final class RawSocketTests: XCTestCase {
    static let hello: HTTPClosureHandler.Closure = { request, body, _ in
        let bytes = try body.readAll(limit: 1 << 20)
        return .text(.ok, "\(request.method) \(request.path) \(bytes.count)")
    }

    func testMalformedRequestLineGets400ThenClose() throws {
        let live = try LiveServer(handler: Self.hello)
        defer { live.stop() }
        let client = try RawClient(port: live.port)
        client.send("GET /a b HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")
        let (bytes, closed) = client.readToEnd()
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), text)
        XCTAssertTrue(text.contains("Connection: close\r\n"), text)
        XCTAssertEqual(text.components(separatedBy: "HTTP/1.1 ").count, 2, "nothing is served after a bad request")
        XCTAssertTrue(closed)
    }

    func testOversizedHeaderGets431AndLongTargetGets414() throws {
        let configuration = HTTPServerConfiguration(limits: HTTPLimits(maxLineLength: 1024, maxHeadBytes: 4096))
        let live = try LiveServer(configuration, handler: Self.hello)
        defer { live.stop() }
        let big = try RawClient(port: live.port)
        big.send("GET / HTTP/1.1\r\nHost: h\r\n" + String(repeating: "X-Pad: \(String(repeating: "p", count: 900))\r\n",
                                                           count: 5) + "\r\n")
        let (bytes, closed) = big.readToEnd()
        XCTAssertTrue(String(decoding: bytes, as: UTF8.self).hasPrefix("HTTP/1.1 431 "))
        XCTAssertTrue(closed)
        let long = try RawClient(port: live.port)
        long.send("GET /" + String(repeating: "a", count: 2000) + " HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(long.readResponse()?.status, 414)
    }

    func testBodyOverMaxBodyBytesGets413() throws {
        let configuration = HTTPServerConfiguration(limits: HTTPLimits(maxBodyBytes: 1000))
        let live = try LiveServer(configuration, handler: Self.hello)
        defer { live.stop() }
        let declared = try RawClient(port: live.port)
        declared.send("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 1001\r\n\r\n")
        XCTAssertEqual(declared.readResponse()?.status, 413)
        let chunked = try RawClient(port: live.port)
        chunked.send("POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3e8\r\n"
                     + String(repeating: "x", count: 1000) + "\r\n1\r\ny\r\n0\r\n\r\n")
        XCTAssertEqual(chunked.readResponse()?.status, 413)
        XCTAssertTrue(chunked.readToEnd().closed)
        let fits = try RawClient(port: live.port)
        fits.send("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n"
                  + String(repeating: "z", count: 1000))
        XCTAssertEqual(fits.readResponse()?.text, "POST /up 1000")
    }

    func testPipelinedRequestsInOneWriteAreAnsweredInOrder() throws {
        let live = try LiveServer(handler: Self.hello)
        defer { live.stop() }
        let client = try RawClient(port: live.port)
        client.send("POST /first HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
                    + "POST /second HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n"
                    + "GET /third HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.text, "POST /first 5")
        XCTAssertEqual(client.readResponse()?.text, "POST /second 2")
        let third = client.readResponse()
        XCTAssertEqual(third?.text, "GET /third 0")
        XCTAssertEqual(third?.headers["connection"], "keep-alive")
        eventually { live.observer.records.get().count == 3 }
        XCTAssertEqual(Set(live.observer.records.get().map(\.connectionID)).count, 1)
    }

    func testUnreadSmallBodyIsDrainedAndTheConnectionReused() throws {
        let live = try LiveServer { request, _, _ in .text(.ok, request.path) }
        defer { live.stop() }
        let client = try RawClient(port: live.port)
        client.send("POST /ignored HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789"
                    + "GET /next HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.text, "/ignored")
        XCTAssertEqual(client.readResponse()?.text, "/next", "leftover body bytes must not be parsed as a request")
    }

    func testLargeUnreadBodyClosesTheConnection() throws {
        let live = try LiveServer(HTTPServerConfiguration(maxDrainBytes: 100)) { request, _, _ in
            .text(.ok, request.path)
        }
        defer { live.stop() }
        let client = try RawClient(port: live.port)
        client.send("POST /ignored HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n\r\n"
                    + String(repeating: "G", count: 5000))
        let response = client.readResponse()
        XCTAssertEqual(response?.headers["connection"], "close")
        XCTAssertTrue(client.readToEnd().closed)
    }

    func testHandlerErrorAnswers500AndOthersAreStillServed() throws {
        struct Boom: Error {}
        let live = try LiveServer { request, _, _ in
            if request.path == "/boom" { throw Boom() }
            return .text(.ok, "fine")
        }
        defer { live.stop() }
        let client = try RawClient(port: live.port)
        client.send("GET /boom HTTP/1.1\r\nHost: h\r\n\r\nGET /ok HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.status, 500)
        XCTAssertEqual(client.readResponse()?.text, "fine")
        let other = try RawClient(port: live.port)
        other.send("GET /ok HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(other.readResponse()?.status, 200)
    }

    func testStalledBodyGets408AfterBodyReadTimeout() throws {
        let live = try LiveServer(HTTPServerConfiguration(bodyReadTimeout: 0.5), handler: Self.hello)
        defer { live.stop() }
        let client = try RawClient(port: live.port)
        let started = Date()
        client.send("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nabc")
        XCTAssertEqual(client.readResponse()?.status, 408)
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 0.4)
        XCTAssertTrue(client.readToEnd().closed)
    }

    func testClientVanishingMidResponseDoesNotKillTheServer() throws {
        let big = [UInt8](repeating: 0x61, count: 8 << 20)
        let live = try LiveServer { request, _, _ in
            HTTPResponse(status: .ok, bytes: request.path == "/big" ? big : Array("small".utf8))
        }
        defer { live.stop() }
        for _ in 0..<3 {
            let quitter = try RawClient(port: live.port)
            quitter.send("GET /big HTTP/1.1\r\nHost: h\r\n\r\n")
            var some = [UInt8](repeating: 0, count: 1000)
            _ = some.withUnsafeMutableBytes { recv(quitter.fd, $0.baseAddress, $0.count, 0) }
        }  // closed with most of the 8 MiB unread: the server's sends fail with EPIPE/ECONNRESET
        eventually { live.server.statistics.openConnections == 0 }
        let client = try RawClient(port: live.port)
        client.send("GET /small HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.text, "small")
    }

    func testMissingResponseFileAnswers500() throws {
        let live = try LiveServer { _, _, _ in .file(.ok, HTTPFileRegion(path: "/nonexistent/custody-test-file")) }
        defer { live.stop() }
        let client = try RawClient(port: live.port)
        client.send("GET /f HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.status, 500)
        // The record is made after the response went out, so it may trail the client's read.
        eventually { live.observer.records.get().map(\.status) == [500] }
    }

    func testMaxOpenConnectionsExceededGets503() throws {
        let live = try LiveServer(HTTPServerConfiguration(maxOpenConnections: 2), handler: Self.hello)
        defer { live.stop() }
        let first = try RawClient(port: live.port)
        let second = try RawClient(port: live.port)
        eventually { live.server.statistics.openConnections == 2 }
        let third = try RawClient(port: live.port)
        third.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        let refused = third.readResponse()
        XCTAssertEqual(refused?.status, 503)
        XCTAssertEqual(refused?.headers["retry-after"], "5")
        XCTAssertTrue(third.readToEnd().closed)
        XCTAssertEqual(live.observer.rejections.get(), 1)
        // The two admitted connections are served normally.
        for client in [first, second] {
            client.send("GET /x HTTP/1.1\r\nHost: h\r\n\r\n")
            XCTAssertEqual(client.readResponse()?.status, 200)
        }
    }

    func testRequestsBeyondBusyWorkersWaitAndAFullQueueGets503() throws {
        let blocked = try BlockedWorkerServer(HTTPServerConfiguration(maxQueuedRequests: 1))
        let (live, serving) = (blocked.live, blocked.serving)
        defer { live.stop() }
        let queued = try RawClient(port: live.port)
        queued.send("GET /queued HTTP/1.1\r\nHost: h\r\n\r\n")
        eventually { live.server.statistics.requestsQueued == 1 }
        let refused = try RawClient(port: live.port)
        refused.send("GET /refused HTTP/1.1\r\nHost: h\r\n\r\n")
        let busy = refused.readResponse()
        XCTAssertEqual(busy?.status, 503)
        XCTAssertEqual(busy?.headers["connection"], "close")
        XCTAssertEqual(busy?.headers["retry-after"], "5")
        XCTAssertTrue(refused.readToEnd().closed)
        blocked.release()
        XCTAssertEqual(serving.readResponse()?.text, "/block")
        XCTAssertEqual(queued.readResponse()?.text, "/queued", "a queued request is served once a worker is free")
        XCTAssertEqual(live.observer.rejections.get(), 0, "a full queue refuses a request, not a connection")
        eventually { live.observer.records.get().map(\.status).sorted() == [200, 200, 503] }
    }

    func testOnePeerCannotTakeEverySlot() throws {
        let live = try LiveServer(HTTPServerConfiguration(maxConnections: 4, maxConnectionsPerPeer: 2),
                                  handler: Self.hello)
        defer { live.stop() }
        let first = try RawClient(port: live.port, from: "127.0.0.1")
        let second = try RawClient(port: live.port, from: "127.0.0.1")
        // Admitted in accept order: wait until both are, so the third is the one refused.
        eventually { live.server.statistics.openConnections == 2 }
        let third = try RawClient(port: live.port, from: "127.0.0.1")
        third.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        let refused = third.readResponse()
        XCTAssertEqual(refused?.status, 503)
        XCTAssertEqual(refused?.headers["retry-after"], "5")
        let other = try RawClient(port: live.port, from: "127.0.0.2")
        other.send("GET /other HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(other.readResponse()?.text, "GET /other 0", "another address still gets a slot")
        for client in [first, second] {
            client.send("GET /x HTTP/1.1\r\nHost: h\r\n\r\n")
            XCTAssertEqual(client.readResponse()?.status, 200)
        }
    }

    func testSlowlorisIsCutOffWhileAnotherClientIsServed() throws {
        let configuration = HTTPServerConfiguration(headerTimeout: 1)
        let live = try LiveServer(configuration, handler: Self.hello)
        defer { live.stop() }
        let slow = try RawClient(port: live.port, receiveTimeout: 5)
        let started = Date()
        let stop = Locked(false)
        defer { stop.set(true) }
        let trickle = Thread {
            for byte in Array("GET / HTTP/1.1\r\nHost: h\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaa".utf8) {
                slow.send([byte])  // one header byte per second
                Thread.sleep(forTimeInterval: 1)
                if stop.get() { return }
            }
        }
        trickle.start()
        Thread.sleep(forTimeInterval: 0.3)
        let normal = try RawClient(port: live.port)
        normal.send("GET /fast HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(normal.readResponse()?.text, "GET /fast 0")
        XCTAssertLessThan(Date().timeIntervalSince(started), 1, "the fast client waited for the slow one")
        let (bytes, closed) = slow.readToEnd()
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertTrue(closed, "the slow client was not cut off")
        XCTAssertTrue(String(decoding: bytes, as: UTF8.self).hasPrefix("HTTP/1.1 408 "))
        XCTAssertGreaterThan(elapsed, 0.9)
        XCTAssertLessThan(elapsed, 3)
    }

    func testABodyTrickledWhileItIsDrainedDoesNotHoldTheConnection() throws {
        // The handler answers without reading the body, which the server then drains: a client
        // sending a byte every half second (under the 2 s a read may wait) is cut off all the same.
        let live = try LiveServer { _, _, _ in .text(.unauthorized, "no") }
        defer { live.stop() }
        let slow = try RawClient(port: live.port, receiveTimeout: 20)
        slow.send("POST /files/x HTTP/1.1\r\nHost: h\r\nContent-Length: 60000\r\n\r\nab")
        let stop = Locked(false)
        defer { stop.set(true) }
        let trickle = Thread {
            for _ in 0..<40 where !stop.get() {
                slow.send("z")
                Thread.sleep(forTimeInterval: 0.5)
            }
        }
        let started = Date()
        trickle.start()
        let answer = slow.readResponse()
        let waited = Date().timeIntervalSince(started)
        XCTAssertEqual(answer?.status, 401)
        XCTAssertEqual(answer?.headers["connection"], "close")
        XCTAssertTrue(slow.readToEnd().closed)
        XCTAssertLessThan(waited, 8, "the drain held the connection \(waited) s")
    }

    func testIdleKeepAliveConnectionIsClosedAfterIdleTimeout() throws {
        let live = try LiveServer(HTTPServerConfiguration(idleTimeout: 0.5), handler: Self.hello)
        defer { live.stop() }
        let client = try RawClient(port: live.port)
        client.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.status, 200)
        let started = Date()
        let (bytes, closed) = client.readToEnd()
        XCTAssertTrue(closed)
        XCTAssertEqual(bytes, [], "an idle close sends nothing")
        XCTAssertLessThan(Date().timeIntervalSince(started), 2)
    }
}
