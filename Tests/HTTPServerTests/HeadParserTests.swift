import HTTPServer
import XCTest

/// Feeds `text` to a fresh parser in one piece; returns the head and how many bytes it took.
func parseHead(_ text: String, limits: HTTPLimits = HTTPLimits()) throws -> (head: HTTPRequestHead?, consumed: Int) {
    try parseHead(Array(text.utf8), limits: limits)
}

func parseHead(_ bytes: [UInt8], limits: HTTPLimits = HTTPLimits()) throws -> (head: HTTPRequestHead?, consumed: Int) {
    var parser = HTTPRequestHeadParser(limits: limits)
    let (consumed, head) = try bytes.withUnsafeBytes { try parser.parse($0) }
    return (head, consumed)
}

/// The status a request head is refused with, or nil if it parses.
func refusal(_ text: String, limits: HTTPLimits = HTTPLimits()) -> Int? {
    do {
        _ = try parseHead(text, limits: limits)
        return nil
    } catch let error as HTTPRequestError {
        return error.status.code
    } catch {
        return -1
    }
}

final class HeadParserTests: XCTestCase {
    let sample = "GET /exhibits/ab%20c?x=1&name=J%C3%B6rg+K HTTP/1.1\r\nHost: example\r\n"
        + "Accept: */*\r\nX-Multi: a\r\nx-multi: b\r\nContent-Length: 5\r\n\r\nhello"

    func testParsesRequestLineHeadersAndStopsAtBody() throws {
        let (head, consumed) = try parseHead(sample)
        let h = try XCTUnwrap(head)
        XCTAssertEqual(h.method, "GET")
        XCTAssertEqual(h.target, "/exhibits/ab%20c?x=1&name=J%C3%B6rg+K")
        XCTAssertEqual(h.path, "/exhibits/ab%20c")
        XCTAssertEqual(h.decodedPath, "/exhibits/ab c")
        XCTAssertEqual(h.queryValue("name"), "Jörg K")
        XCTAssertEqual(h.queryItems.map(\.name), ["x", "name"])
        XCTAssertEqual(h.version, .http1_1)
        XCTAssertEqual(h.headers["HOST"], "example")
        XCTAssertEqual(h.headers.values(for: "X-MULTI"), ["a", "b"])
        XCTAssertEqual(h.framing, .contentLength(5))
        XCTAssertEqual(consumed, sample.utf8.count - 5, "the body must be left unconsumed")
    }

    func testEverySplitPointGivesTheSameHead() throws {
        let bytes = Array(sample.utf8)
        let reference = try XCTUnwrap(parseHead(bytes).head)
        for split in 0..<bytes.count - 5 {
            var parser = HTTPRequestHeadParser()
            let first = try bytes[..<split].withUnsafeBytes { try parser.parse($0) }
            XCTAssertNil(first.head, "split \(split)")
            XCTAssertEqual(first.consumed, split)
            let second = try bytes[split...].withUnsafeBytes { try parser.parse($0) }
            let head = try XCTUnwrap(second.head, "split \(split)")
            XCTAssertEqual(split + second.consumed, bytes.count - 5)
            XCTAssertEqual(head.target, reference.target)
            XCTAssertEqual(Array(head.headers).map(\.value), Array(reference.headers).map(\.value))
        }
    }

    func testByteByByteAndPipelinedHeads() throws {
        let two = Array("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n".utf8)
        var parser = HTTPRequestHeadParser()
        var targets: [String] = []
        for byte in two {
            let result = try [byte].withUnsafeBytes { try parser.parse($0) }
            XCTAssertEqual(result.consumed, 1)
            if let head = result.head { targets.append(head.target) }
        }
        XCTAssertEqual(targets, ["/a", "/b"])
        XCTAssertFalse(parser.hasPartialHead)
    }

    func testLeadingEmptyLinesAndHTTP10() throws {
        let head = try XCTUnwrap(parseHead("\r\nGET / HTTP/1.0\r\n\r\n").head)
        XCTAssertEqual(head.version, .http1_0)
        XCTAssertFalse(head.keepAlive)
        XCTAssertTrue(try XCTUnwrap(parseHead("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").head).keepAlive)
        let close = "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
        XCTAssertFalse(try XCTUnwrap(parseHead(close).head).keepAlive)
    }

    func testFramingVariants() throws {
        let te = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n"
        let chunked = try XCTUnwrap(parseHead(te).head)
        XCTAssertEqual(chunked.framing, .chunked)
        let cl = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 7, 7\r\nContent-Length: 7\r\n\r\n"
        let same = try XCTUnwrap(parseHead(cl).head)
        XCTAssertEqual(same.framing, .contentLength(7))
        let ex = "PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n"
        let expect = try XCTUnwrap(parseHead(ex).head)
        XCTAssertTrue(expect.expectsContinue)
        XCTAssertEqual(try XCTUnwrap(parseHead("GET / HTTP/1.1\r\nHost: h\r\n\r\n").head).framing, .none)
        let listed = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ,\t chunked \t\r\n\r\n"
        XCTAssertEqual(try XCTUnwrap(parseHead(listed).head).framing, .chunked)
    }

    func testAnObsTextByteAfterChunkedIsNotChunked() {
        // 0xA0 reads as U+00A0, which Foundation's whitespace set holds: trimmed with it, `chunked\xA0`
        // would be chunked here and not to a proxy in front (request smuggling).
        let bytes = Array("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked".utf8)
            + [0xA0, 0x0D, 0x0A, 0x0D, 0x0A]
        XCTAssertThrowsError(try parseHead(bytes), "refused, as any coding but chunked last") {
            XCTAssertEqual(($0 as? HTTPRequestError)?.status.code, 400)
        }
    }

    func testMalformedRequestsGetTheirStatus() {
        let h = "Host: h\r\n"
        let cases: [(String, Int, String)] = [
            ("GET / HTTP/1.1\n\(h)\r\n", 400, "bare LF"),
            ("GET  / HTTP/1.1\r\n\(h)\r\n", 400, "double space"),
            ("GET /\r\n\(h)\r\n", 400, "HTTP/0.9 style"),
            ("G(T / HTTP/1.1\r\n\(h)\r\n", 400, "bad method char"),
            ("GET /a\u{7F}b HTTP/1.1\r\n\(h)\r\n", 400, "DEL in target"),
            ("GET / HTTP/1.1 \r\n\(h)\r\n", 400, "trailing space"),
            ("GET / HTTX/1.1\r\n\(h)\r\n", 400, "bad protocol"),
            ("GET / HTTP/2.0\r\n\(h)\r\n", 505, "HTTP/2 over 1.1 framing"),
            ("GET / HTTP/1.2\r\n\(h)\r\n", 505, "HTTP/1.2"),
            ("GET / HTTP/1.1\r\n\(h) folded\r\n\r\n", 400, "obs-fold"),
            ("GET / HTTP/1.1\r\n\(h)X-A: a\rb\r\n\r\n", 400, "bare CR in value"),
            ("GET / HTTP/1.1\r\n\(h)X-A: a\u{0}b\r\n\r\n", 400, "NUL in value"),
            ("GET / HTTP/1.1\r\n\(h)X-A: a\u{1B}b\r\n\r\n", 400, "ESC in value"),
            ("GET / HTTP/1.1\r\n\(h)X-A : a\r\n\r\n", 400, "space before colon"),
            ("GET / HTTP/1.1\r\n\(h): a\r\n\r\n", 400, "empty name"),
            ("GET / HTTP/1.1\r\n\(h)NoColon\r\n\r\n", 400, "no colon"),
            ("GET / HTTP/1.1\r\n\r\n", 400, "missing Host"),
            ("GET / HTTP/1.1\r\n\(h)\(h)\r\n", 400, "two Host"),
            ("POST / HTTP/1.1\r\n\(h)Content-Length: 5\r\nContent-Length: 6\r\n\r\n", 400, "conflicting CL"),
            ("POST / HTTP/1.1\r\n\(h)Content-Length: 5, 6\r\n\r\n", 400, "conflicting CL list"),
            ("POST / HTTP/1.1\r\n\(h)Content-Length: +5\r\n\r\n", 400, "signed CL"),
            ("POST / HTTP/1.1\r\n\(h)Content-Length: 0x10\r\n\r\n", 400, "hex CL"),
            ("POST / HTTP/1.1\r\n\(h)Content-Length: \r\n\r\n", 400, "empty CL"),
            ("POST / HTTP/1.1\r\n\(h)Content-Length: 99999999999999999999\r\n\r\n", 400, "overflowing CL"),
            ("POST / HTTP/1.1\r\n\(h)Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "CL + TE"),
            ("POST / HTTP/1.1\r\n\(h)Transfer-Encoding: gzip\r\n\r\n", 501, "gzip"),
            ("POST / HTTP/1.1\r\n\(h)Transfer-Encoding: gzip, chunked\r\n\r\n", 501, "gzip, chunked"),
            ("POST / HTTP/1.1\r\n\(h)Transfer-Encoding: chunked, chunked\r\n\r\n", 400, "chunked twice"),
            ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "TE in HTTP/1.0"),
            ("PUT / HTTP/1.1\r\n\(h)Expect: 200-ok\r\n\r\n", 417, "unknown expectation"),
            ("POST / HTTP/1.1\r\n\(h)Content-Length: 11\r\n\r\n", 413, "CL over maxBodyBytes"),
        ]
        let limits = HTTPLimits(maxBodyBytes: 10)
        for (text, status, name) in cases {
            XCTAssertEqual(refusal(text, limits: limits), status, name)
        }
        XCTAssertNil(refusal("POST / HTTP/1.1\r\n\(h)Content-Length: 10\r\n\r\n", limits: limits), "CL at the limit")
    }

    func testHeadersDescriptionNeverShowsValues() throws {
        let text = "GET /x?sig=s3cret HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer t0ken\r\n\r\n"
        let head = try XCTUnwrap(parseHead(text).head)
        XCTAssertFalse("\(head.headers)".contains("t0ken"))
        XCTAssertFalse("\(head)".contains("s3cret"))
    }
}
