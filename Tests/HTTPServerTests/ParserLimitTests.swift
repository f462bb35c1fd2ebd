import HTTPServer
import XCTest

/// Each limit passes at exactly its value and fails one byte (or field) over.
final class ParserLimitTests: XCTestCase {
    func testRequestLineLengthBoundaryAnswers414() {
        let limits = HTTPLimits(maxLineLength: 64, maxHeadBytes: 4096)
        let line = { (n: Int) in "GET /" + String(repeating: "a", count: n - 14) + " HTTP/1.1" }
        XCTAssertEqual(line(64).utf8.count, 64)
        XCTAssertNil(refusal(line(64) + "\r\nHost: h\r\n\r\n", limits: limits))
        XCTAssertEqual(refusal(line(65) + "\r\nHost: h\r\n\r\n", limits: limits), 414)
        // Refused while the line is still arriving: no CRLF needed, so nothing unbounded is buffered.
        XCTAssertEqual(refusal("GET /" + String(repeating: "a", count: 200), limits: limits), 414)
    }

    func testHeaderLineLengthBoundaryAnswers431() {
        let limits = HTTPLimits(maxLineLength: 64, maxHeadBytes: 4096)
        let field = { (n: Int) in "X-Long: " + String(repeating: "v", count: n - 8) }
        XCTAssertEqual(field(64).utf8.count, 64)
        XCTAssertNil(refusal("GET / HTTP/1.1\r\nHost: h\r\n\(field(64))\r\n\r\n", limits: limits))
        XCTAssertEqual(refusal("GET / HTTP/1.1\r\nHost: h\r\n\(field(65))\r\n\r\n", limits: limits), 431)
    }

    func testHeaderCountBoundaryAnswers431() {
        let limits = HTTPLimits(maxHeaderCount: 5)
        let fields = { (n: Int) in (0..<n - 1).map { "X-\($0): v\r\n" }.joined() }
        XCTAssertNil(refusal("GET / HTTP/1.1\r\nHost: h\r\n\(fields(5))\r\n", limits: limits))
        XCTAssertEqual(refusal("GET / HTTP/1.1\r\nHost: h\r\n\(fields(6))\r\n", limits: limits), 431)
    }

    func testTotalHeadBytesBoundaryAnswers431() throws {
        let base = "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: \r\n\r\n"
        let limit = 200
        let padding = String(repeating: "p", count: limit - base.utf8.count)
        let exact = base.replacingOccurrences(of: "X-Pad: ", with: "X-Pad: " + padding)
        XCTAssertEqual(exact.utf8.count, limit)
        let limits = HTTPLimits(maxHeadBytes: limit)
        XCTAssertNil(refusal(exact, limits: limits))
        XCTAssertEqual(refusal(exact.replacingOccurrences(of: "X-Pad: ", with: "X-Pad: p"), limits: limits), 431)
        // Bytes after the head are the body: they do not count towards the head limit.
        XCTAssertEqual(try parseHead(exact + "body", limits: limits).consumed, limit)
    }

    func testContentLengthAtInt64Max() throws {
        let limits = HTTPLimits(maxBodyBytes: Int64.max)
        let head = try XCTUnwrap(parseHead("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: \(Int64.max)\r\n\r\n",
                                           limits: limits).head)
        XCTAssertEqual(head.framing, .contentLength(Int64.max))
        XCTAssertEqual(refusal("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 9223372036854775808\r\n\r\n",
                               limits: limits), 400)
    }
}
