import Foundation
import HTTPServer
import TestSupport
import XCTest

/// A request that waits for a worker longer than `maxQueueWait` is turned away, not served stale.
final class QueueWaitTests: XCTestCase {
    func testARequestQueuedTooLongGets503WithRetryAfterWhileTheWorkerIsStillBusy() throws {
        let release = DispatchSemaphore(value: 0)
        let configuration = HTTPServerConfiguration(maxConnections: 1, maxQueueWait: 0.5)
        let live = try LiveServer(configuration) { request, _, _ in
            if request.path == "/block" { release.wait() }
            return .text(.ok, request.path)
        }
        defer { live.stop() }
        let serving = try RawClient(port: live.port)
        serving.send("GET /block HTTP/1.1\r\nHost: h\r\n\r\n")
        eventually { live.server.statistics.requestsInProgress == 1 }
        let queued = try RawClient(port: live.port, receiveTimeout: 20)
        queued.send("PUT /queued HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello")
        let busy = queued.readResponse()
        XCTAssertEqual(busy?.status, 503)
        XCTAssertEqual(busy?.headers["retry-after"], "5")
        XCTAssertEqual(busy?.headers["connection"], "close")
        XCTAssertTrue(busy?.text.contains("no worker was free for 0.5 s") == true, busy?.text ?? "")
        XCTAssertTrue(queued.readToEnd().closed)
        XCTAssertEqual(live.server.statistics.requestsQueued, 0)
        XCTAssertEqual(live.server.statistics.requestsInProgress, 1, "turned away while the worker was busy")

        release.signal()
        XCTAssertEqual(serving.readResponse()?.text, "/block")
        eventually { live.observer.records.get().map(\.status).sorted() == [200, 503] }
        // The worker is free again and takes new requests.
        let next = try RawClient(port: live.port)
        next.send("GET /next HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(next.readResponse()?.text, "/next")
    }
}
