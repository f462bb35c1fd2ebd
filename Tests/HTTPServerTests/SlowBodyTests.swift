@preconcurrency import Glibc
import HTTPServer
import TestSupport
import XCTest

/// A body must keep a minimum pace once the server waits for it, so clients trickling their bodies
/// cannot hold every worker, while a slow but steady client is served.
final class SlowBodyTests: XCTestCase {
    /// 1,000 bytes a second over 1 s windows: small enough for a test to cross both ways.
    static let paced = HTTPServerConfiguration(minBodyBytesPerSecond: 1000, bodyPaceWindow: 1, maxConnections: 2)

    /// Answers with the body's length and hash, so a body is checked byte for byte.
    static let upload: HTTPClosureHandler.Closure = { request, body, _ in
        let bytes = try body.readAll(limit: 8 << 20)
        return .text(.ok, "\(request.path) \(bytes.count) \(FNV1a.hash(bytes))")
    }

    /// Sends a byte every `interval` on each client until stopped (or its connection is gone).
    final class Trickle: @unchecked Sendable {
        private let stop = Locked(false)

        init(_ clients: [RawClient], interval: Double) {
            let stop = stop
            Thread {
                while !stop.get() {
                    clients.forEach { $0.send("z") }
                    Thread.sleep(forTimeInterval: interval)
                }
            }.start()
        }

        func end() { stop.set(true) }
    }

    func testBodiesTrickledIntoEveryWorkerAreCutOffAndADockIsServed() throws {
        let live = try LiveServer(Self.paced, handler: Self.upload)
        defer { live.stop() }
        var tricklers: [RawClient] = []
        for index in 0..<2 {
            let client = try RawClient(port: live.port, receiveTimeout: 20)
            client.send("PATCH /slow/\(index) HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\nz")
            tricklers.append(client)
        }
        eventually { live.server.statistics.requestsInProgress == 2 }
        // Ten bytes a second each: the old rule (no byte for 30 s) would let them hold both workers forever.
        let trickle = Trickle(tricklers, interval: 0.1)
        defer { trickle.end() }

        let body = randomBytes(256 << 10, seed: 3)
        let dock = try RawClient(port: live.port, receiveTimeout: 20)
        dock.send("PATCH /files/1 HTTP/1.1\r\nHost: h\r\nContent-Length: \(body.count)\r\n\r\n")
        dock.send(body)
        XCTAssertEqual(dock.readResponse()?.text, "/files/1 \(body.count) \(FNV1a.hash(body))")

        for client in tricklers {
            let answer = client.readResponse()
            XCTAssertEqual(answer?.status, 408)
            XCTAssertEqual(answer?.headers["connection"], "close")
            XCTAssertTrue(answer?.text.contains("request body slower than 1000 bytes in 1.0 s") == true)
            XCTAssertTrue(client.readToEnd().closed)
        }
        eventually { live.observer.records.get().map(\.status).sorted() == [200, 408, 408] }
    }

    func testASlowButSteadyBodyIsServed() throws {
        let live = try LiveServer(Self.paced, handler: Self.upload)
        defer { live.stop() }
        // 10,000 bytes a second, ten times the pace, for about three windows.
        let body = randomBytes(30_000, seed: 5)
        let client = try RawClient(port: live.port, receiveTimeout: 20)
        client.send("PUT /steady HTTP/1.1\r\nHost: h\r\nContent-Length: \(body.count)\r\n\r\n")
        for offset in stride(from: 0, to: body.count, by: 500) {
            client.send(Array(body[offset..<offset + 500]))
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTAssertEqual(client.readResponse()?.text, "/steady \(body.count) \(FNV1a.hash(body))")
    }

    func testTimeTheHandlerSpendsBetweenReadsIsNotTheClients() throws {
        // The handler takes 2.4 s over a body that arrived at once: only waiting on the client counts.
        let live = try LiveServer(Self.paced) { request, body, _ in
            var total = 0
            var buffer = [UInt8](repeating: 0, count: 500)
            while true {
                let n = try buffer.withUnsafeMutableBytes { try body.read(into: $0) }
                if n == 0 { break }
                total += n
                Thread.sleep(forTimeInterval: 0.6)  // a slow disk
            }
            return .text(.ok, "\(request.path) \(total)")
        }
        defer { live.stop() }
        let client = try RawClient(port: live.port, receiveTimeout: 20)
        client.send("PUT /disk HTTP/1.1\r\nHost: h\r\nContent-Length: 2000\r\n\r\n")
        client.send(String(repeating: "b", count: 2000))
        XCTAssertEqual(client.readResponse()?.text, "/disk 2000")
    }
}
