import HTTPServer
import XCTest

/// The handler-facing value types, without sockets.
final class HTTPBodyTests: XCTestCase {
    func testReadAllRespectsItsLimit() throws {
        XCTAssertEqual(try HTTPBody(bytes: Array("hello".utf8)).readAll(limit: 5), Array("hello".utf8))
        XCTAssertThrowsError(try HTTPBody(bytes: Array("hello!".utf8)).readAll(limit: 5)) { error in
            XCTAssertEqual((error as? HTTPRequestError)?.status, .contentTooLarge)
        }
        XCTAssertEqual(try HTTPBody.empty().readAll(limit: 0), [])
    }

    func testStreamingReadsInPiecesAndEndsWithZero() throws {
        let body = HTTPBody(bytes: Array(0..<100))
        var collected: [UInt8] = []
        var piece = [UInt8](repeating: 0, count: 7)
        while true {
            let n = try piece.withUnsafeMutableBytes { try body.read(into: $0) }
            if n == 0 { break }
            collected += piece[..<n]
        }
        XCTAssertEqual(collected, Array(0..<100))
        XCTAssertTrue(body.isComplete)
        XCTAssertEqual(body.bytesRead, 100)
        XCTAssertEqual(try piece.withUnsafeMutableBytes { try body.read(into: $0) }, 0)
    }

    func testPathQueryAndPercentDecoding() {
        let head = HTTPRequestHead(method: "GET", target: "/a%2Fb/c%20d?x=%41&y&z=1+2&bad=%G1#frag")
        XCTAssertEqual(head.path, "/a%2Fb/c%20d")
        XCTAssertEqual(head.decodedPath, "/a/b/c d")
        XCTAssertEqual(head.query, "x=%41&y&z=1+2&bad=%G1")
        XCTAssertEqual(head.queryItems.map { "\($0.name)=\($0.value)" }, ["x=A", "y=", "z=1 2"])
        XCTAssertNil(HTTPRequestHead(method: "GET", target: "/%FF").decodedPath, "invalid UTF-8")
        XCTAssertNil(HTTPRequestHead(method: "GET", target: "/%4").decodedPath, "truncated escape")
        XCTAssertEqual(HTTPRequestHead(method: "GET", target: "http://Host:80/p?q=1").path, "/p")
        XCTAssertEqual(HTTPRequestHead(method: "GET", target: "HTTP://host").path, "/")
        XCTAssertEqual(HTTPRequestHead(method: "OPTIONS", target: "*").path, "*")
    }

    func testHeadersAreOrderedCaseInsensitiveAndMultiValued() {
        var headers: HTTPHeaders = ["Content-Type": "text/plain", "Vary": "A, B"]
        headers.add(name: "vary", value: "C")
        XCTAssertEqual(headers["content-type"], "text/plain")
        XCTAssertEqual(headers.values(for: "VARY"), ["A, B", "C"])
        XCTAssertEqual(headers.listElements(for: "Vary"), ["A", "B", "C"])
        XCTAssertTrue(headers.containsToken("b", in: "vary"))
        headers.replaceOrAdd(name: "VARY", value: "D")
        XCTAssertEqual(headers.values(for: "Vary"), ["D"])
        XCTAssertEqual(headers.map(\.name), ["Content-Type", "VARY"])
        headers.remove(name: "content-type")
        XCTAssertEqual(headers.count, 1)
    }
}
