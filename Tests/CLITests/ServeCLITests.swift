import Foundation
import TestSupport
import XCTest

final class ServeCLITests: CLITestCase {
    func testServeAnswersHealthAndStopsOnSIGTERM() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestPaths.custodyBinary)
        process.arguments = ["serve", "--listen", "127.0.0.1:0", "--data", data]
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        // The first log line says where it listens.
        let reader = stderr.fileHandleForReading
        var buffer = Data()
        while !buffer.contains(UInt8(ascii: "\n")) {
            let chunk = reader.availableData
            guard !chunk.isEmpty else { break }
            buffer += chunk
        }
        let line = String(decoding: buffer.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        let listening = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], line)
        XCTAssertEqual(listening["msg"] as? String, "listening")
        let port = try XCTUnwrap(listening["port"] as? Int)

        let health = try runProcess(try XCTUnwrap(which("curl")), ["-s", "--max-time", "5", "http://127.0.0.1:\(port)/healthz"])
        XCTAssertTrue(health.stdout.contains("\"status\":\"ok\""), health.stdout + health.stderr)

        process.terminate()  // SIGTERM
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        XCTAssertFalse(process.isRunning, "serve did not stop on SIGTERM")
        XCTAssertEqual(process.terminationStatus, 0)
        let rest = String(decoding: buffer + reader.readDataToEndOfFile(), as: UTF8.self)
        for logLine in rest.split(separator: "\n") {
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
