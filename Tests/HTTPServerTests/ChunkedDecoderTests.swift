import HTTPServer
import XCTest

/// Decodes a whole chunked body fed in pieces of `step` bytes; returns the data and the unconsumed rest.
func decodeChunked(_ text: String, step: Int = .max, limits: HTTPLimits = HTTPLimits()) throws
    -> (data: [UInt8], rest: [UInt8])
{
    let input = Array(text.utf8)
    var decoder = ChunkedBodyDecoder(limits: limits)
    var data: [UInt8] = []
    var position = 0
    var available = min(step, input.count)
    var iterations = 0
    while true {
        iterations += 1
        precondition(iterations < 1_000_000, "decoder loops")
        let window = Array(input[position..<available])
        let (consumed, event) = try window.withUnsafeBytes { try decoder.advance($0) }
        position += consumed
        switch event {
        case .end:
            return (data, Array(input[position...]))
        case .data(let remaining):
            let n = min(Int(remaining), available - position)
            if n == 0 {
                guard available < input.count else { throw HTTPRequestError(.badRequest, "truncated test input") }
                available = min(available + step, input.count)
                continue
            }
            data += input[position..<position + n]
            position += n
            decoder.consumeData(n)
        case .needInput:
            guard available < input.count else { throw HTTPRequestError(.badRequest, "truncated test input") }
            available = min(available + step, input.count)
        }
    }
}

func chunkedRefusal(_ text: String, limits: HTTPLimits = HTTPLimits()) -> Int? {
    do {
        _ = try decodeChunked(text, limits: limits)
        return nil
    } catch let error as HTTPRequestError {
        return error.status.code
    } catch {
        return -1
    }
}

final class ChunkedDecoderTests: XCTestCase {
    let body = "5\r\nhello\r\nB;name=value;x\r\n, worldly!!\r\n0\r\nX-Trailer: t\r\nX-Other: o\r\n\r\nNEXT"

    func testDecodesDataIgnoresExtensionsDiscardsTrailersAtEverySplit() throws {
        for step in [1, 2, 3, 7, 1000] {
            let (data, rest) = try decodeChunked(body, step: step)
            XCTAssertEqual(String(decoding: data, as: UTF8.self), "hello, worldly!!", "step \(step)")
            XCTAssertEqual(String(decoding: rest, as: UTF8.self), "NEXT", "step \(step)")
        }
    }

    func testUpperCaseHexAndEmptyBody() throws {
        XCTAssertEqual(try decodeChunked("A\r\n0123456789\r\n0\r\n\r\n").data.count, 10)
        XCTAssertEqual(try decodeChunked("0\r\n\r\n").data, [])
        XCTAssertEqual(try decodeChunked("000\r\n\r\n").data, [])
        XCTAssertEqual(try decodeChunked("3 \t\r\nabc\r\n0\r\n\r\n").data.count, 3, "whitespace before the CRLF")
        XCTAssertEqual(try decodeChunked("3 \t; a=b\r\nabc\r\n0 ;x\r\n\r\n").data.count, 3, "and before `;`")
    }

    func testMalformedChunking() {
        XCTAssertEqual(chunkedRefusal("g\r\nx\r\n0\r\n\r\n"), 400, "bad hex")
        XCTAssertEqual(chunkedRefusal("\r\n0\r\n\r\n"), 400, "empty size")
        XCTAssertEqual(chunkedRefusal("-1\r\nx\r\n0\r\n\r\n"), 400, "negative size")
        XCTAssertEqual(chunkedRefusal("3\nabc\r\n0\r\n\r\n"), 400, "bare LF after size")
        XCTAssertEqual(chunkedRefusal("3\r\nabcd\r\n0\r\n\r\n"), 400, "data longer than size")
        XCTAssertEqual(chunkedRefusal("3\r\nabc0\r\n\r\n"), 400, "missing CRLF after data")
        XCTAssertEqual(chunkedRefusal("1000000000000000\r\n"), 400, "16 hex digits")
        XCTAssertEqual(chunkedRefusal("3;a\u{1}b\r\nabc\r\n0\r\n\r\n"), 400, "control char in extension")
        XCTAssertEqual(chunkedRefusal("3 junk\r\nabc\r\n0\r\n\r\n"), 400, "text after the size, no `;`")
        XCTAssertEqual(chunkedRefusal("3 4\r\nabc\r\n0\r\n\r\n"), 400, "a second number after the size")
        XCTAssertEqual(chunkedRefusal("0\r\nNoColon\r\n\r\n"), 400, "trailer without colon")
        XCTAssertEqual(chunkedRefusal("0\r\nA: b\r\n folded\r\n\r\n"), 400, "folded trailer")
    }

    func testChunkLineLengthLimit() {
        let limits = HTTPLimits(maxLineLength: 16)
        let line = { (n: Int) in "3;" + String(repeating: "e", count: n - 2) }
        XCTAssertNil(chunkedRefusal(line(16) + "\r\nabc\r\n0\r\n\r\n", limits: limits))
        XCTAssertEqual(chunkedRefusal(line(17) + "\r\nabc\r\n0\r\n\r\n", limits: limits), 400)
    }

    func testTrailerLimits() {
        let limits = HTTPLimits(maxLineLength: 16, maxHeadBytes: 64, maxHeaderCount: 2)
        XCTAssertNil(chunkedRefusal("0\r\nA: 1234567890123\r\nB: 2\r\n\r\n", limits: limits))
        XCTAssertEqual(chunkedRefusal("0\r\nA: 12345678901234\r\n\r\n", limits: limits), 431, "trailer line")
        XCTAssertEqual(chunkedRefusal("0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits: limits), 431, "trailer count")
        // The trailer section below is 20 bytes including its final empty line.
        let exact = HTTPLimits(maxLineLength: 100, maxHeadBytes: 20, maxHeaderCount: 100)
        XCTAssertNil(chunkedRefusal("0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits: exact), "trailer bytes at limit")
        let under = HTTPLimits(maxLineLength: 100, maxHeadBytes: 19, maxHeaderCount: 100)
        XCTAssertEqual(chunkedRefusal("0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits: under), 431, "trailer bytes")
    }

    func testBodyLimitCountsDeclaredChunkSizes() {
        let limits = HTTPLimits(maxBodyBytes: 10)
        XCTAssertNil(chunkedRefusal("5\r\n12345\r\n5\r\n12345\r\n0\r\n\r\n", limits: limits))
        XCTAssertEqual(chunkedRefusal("5\r\n12345\r\n6\r\n123456\r\n0\r\n\r\n", limits: limits), 413)
    }
}
