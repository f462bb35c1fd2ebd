import Foundation
import XCTest
@testable import Service

final class LogAndMetricsTests: XCTestCase {
    final class Lines: @unchecked Sendable {
        let lock = NSLock()
        var lines: [String] = []
        func add(_ s: String) { lock.lock(); lines.append(s); lock.unlock() }
    }

    func testLogWritesOneSortedJSONObjectPerLineAndFiltersLevels() throws {
        let sink = Lines()
        let log = Log(minimum: .info) { sink.add($0) }
        log.log(.debug, "hidden")
        log.info("upload created", ["upload": "abc", "bytes": 10])
        log.error("line\nbreak")
        XCTAssertEqual(sink.lines.count, 2)
        for line in sink.lines {
            XCTAssertTrue(line.hasSuffix("\n"))
            XCTAssertEqual(line.filter { $0 == "\n" }.count, 1, "a log record spans one line")
        }
        let first = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(sink.lines[0].utf8)) as? [String: Any])
        XCTAssertEqual(first["msg"] as? String, "upload created")
        XCTAssertEqual(first["level"] as? String, "info")
        XCTAssertEqual(first["bytes"] as? Int, 10)
        XCTAssertNotNil(first["time"] as? String)
        XCTAssertTrue(sink.lines[0].hasPrefix("{\"bytes\""), "keys are sorted")
    }

    func testPrometheusRendering() {
        let m = Metrics()
        m.describe("custody_uploads_bytes_total", type: "counter", "Bytes received by the upload endpoint.")
        m.describe("custody_request_seconds", type: "histogram", "Request latency.")
        m.increment("custody_uploads_bytes_total", by: 1024)
        m.increment("custody_uploads_bytes_total", by: 1)
        m.set("custody_uploads_in_progress", 3)
        m.observe("custody_request_seconds", seconds: 0.002)
        m.observe("custody_request_seconds", seconds: 2)
        let text = m.render()
        XCTAssertTrue(text.contains("# TYPE custody_uploads_bytes_total counter\ncustody_uploads_bytes_total 1025\n"), text)
        XCTAssertTrue(text.contains("custody_uploads_in_progress 3\n"))
        XCTAssertTrue(text.contains("custody_request_seconds_bucket{le=\"0.001\"} 0\n"))
        XCTAssertTrue(text.contains("custody_request_seconds_bucket{le=\"0.005\"} 1\n"))
        XCTAssertTrue(text.contains("custody_request_seconds_bucket{le=\"5\"} 2\n"))
        XCTAssertTrue(text.contains("custody_request_seconds_bucket{le=\"+Inf\"} 2\ncustody_request_seconds_sum 2.002\ncustody_request_seconds_count 2\n"), text)
    }
}
