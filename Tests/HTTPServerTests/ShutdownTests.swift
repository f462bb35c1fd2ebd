@preconcurrency import Glibc
import HTTPServer
import TestSupport
import XCTest

/// shutdown(): stop accepting, finish in-flight requests within the grace period, close idle connections.
final class ShutdownTests: XCTestCase {
    func testInFlightRequestFinishesThenPortStopsAccepting() throws {
        let handlerStarted = DispatchSemaphore(value: 0)
        let live = try LiveServer { request, _, _ in
            if request.path == "/slow" {
                handlerStarted.signal()
                Thread.sleep(forTimeInterval: 1)
            }
            return .text(.ok, "done \(request.path)")
        }
        let idle = try RawClient(port: live.port)
        idle.send("GET /first HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(idle.readResponse()?.status, 200)

        let busy = try RawClient(port: live.port)
        busy.send("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(handlerStarted.wait(timeout: .now() + 5), .success)
        let started = Date()
        live.server.shutdown(gracePeriod: 5)
        XCTAssertThrowsError(try RawClient(port: live.port), "the port still accepts after shutdown()")

        let (idleBytes, idleClosed) = idle.readToEnd()
        XCTAssertTrue(idleClosed, "an idle keep-alive connection must be closed at shutdown")
        XCTAssertEqual(idleBytes, [])
        XCTAssertLessThan(Date().timeIntervalSince(started), 0.8, "idle connection closed only after the slow one")

        let response = busy.readResponse()
        XCTAssertEqual(response?.text, "done /slow")
        XCTAssertEqual(response?.headers["connection"], "close")
        XCTAssertTrue(live.server.waitUntilStopped(timeout: 5))
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 0.8, "the in-flight request was cut short")
        XCTAssertLessThan(Date().timeIntervalSince(started), 3)
        XCTAssertEqual(live.server.statistics.openConnections, 0)
    }

    func testGracePeriodCutsOffARequestThatDoesNotFinish() throws {
        let live = try LiveServer { _, body, _ in
            _ = try body.readAll(limit: 1 << 20)  // the client never sends the promised body
            return .text(.ok, "unreachable")
        }
        let stuck = try RawClient(port: live.port)
        stuck.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nabc")
        eventually { live.server.statistics.openConnections == 1 }
        Thread.sleep(forTimeInterval: 0.1)
        let started = Date()
        live.server.shutdown(gracePeriod: 0.3)
        XCTAssertTrue(live.server.waitUntilStopped(timeout: 5))
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertGreaterThan(elapsed, 0.25)
        XCTAssertLessThan(elapsed, 2)
        XCTAssertTrue(stuck.readToEnd().closed)
    }

    func testShutdownBeforeAnyConnectionAndTwice() throws {
        let live = try LiveServer { _, _, _ in .text(.ok, "") }
        live.server.shutdown()
        live.server.shutdown()
        XCTAssertTrue(live.server.waitUntilStopped(timeout: 2))
    }
}
