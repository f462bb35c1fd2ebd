import Foundation
import HTTPServer
import TestSupport
import XCTest

/// A request that waits for a worker longer than `maxQueueWait` is turned away, not served stale.
final class QueueWaitTests: XCTestCase {
    func testARequestQueuedTooLongGets503WithRetryAfterWhileTheWorkerIsStillBusy() throws {
        let blocked = try BlockedWorkerServer(HTTPServerConfiguration(maxQueueWait: 0.5))
        let (live, serving) = (blocked.live, blocked.serving)
        defer { live.stop() }
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

        blocked.release()
        XCTAssertEqual(serving.readResponse()?.text, "/block")
        eventually { live.observer.records.get().map(\.status).sorted() == [200, 503] }
        // The worker is free again and takes new requests.
        let next = try RawClient(port: live.port)
        next.send("GET /next HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(next.readResponse()?.text, "/next")
    }
}
