import Foundation
import TestSupport
import XCTest

final class ServeCLITests: CLITestCase {
    func testServeAnswersHealthAndStopsOnSIGTERM() throws {
        let (process, port, log) = try serve()
        defer { if process.isRunning { process.terminate() } }

        let health = try runProcess(try XCTUnwrap(which("curl")), ["-s", "--max-time", "5", "http://127.0.0.1:\(port)/healthz"])
        XCTAssertTrue(health.stdout.contains("\"status\":\"ok\""), health.stdout + health.stderr)

        process.terminate()  // SIGTERM
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        XCTAssertFalse(process.isRunning, "serve did not stop on SIGTERM")
        XCTAssertEqual(process.terminationStatus, 0)
        log.waitForClose(5)
        let rest = log.text
        for logLine in log.lines {
            XCTAssertNotNil(try? JSONSerialization.jsonObject(with: Data(logLine.utf8)), "not a JSON log line: \(logLine)")
        }
        XCTAssertTrue(rest.contains("\"msg\":\"stopped\""), rest)
    }

    func testServeRejectsBadArguments() throws {
        XCTAssertEqual(try custody(["serve", "--listen", "nowhere"]).status, 2)
        XCTAssertEqual(try custody(["serve", "--listen", "10.0.0.1:99999"]).status, 2)
        XCTAssertEqual(try custody(["serve", "--public-url", "ftp://x"]).status, 2)
        let uninitialised = try runProcess(TestPaths.custodyBinary, ["serve", "--data", dir.file("nowhere")])
        XCTAssertEqual(uninitialised.status, 2)
        XCTAssertTrue(uninitialised.stderr.contains("custody init"), uninitialised.stderr)
        XCTAssertEqual(try custody(["serve", "--help"]).status, 0)
    }
}
