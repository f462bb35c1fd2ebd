import XCTest
@testable import Service

/// Range and If-Range as a download reads them (RFC 9110), without sockets.
final class ByteRangeTests: XCTestCase {
    let etag = "\"abc\""

    func range(_ header: String?, ifRange: String? = nil, size: Int64 = 1000) -> ByteRange {
        ByteRange.of(range: header.map { [$0] } ?? [], ifRange: ifRange.map { [$0] } ?? [], size: size, etag: etag)
    }

    func testOneRange() {
        XCTAssertEqual(range(nil), .whole)
        XCTAssertEqual(range("bytes=0-0"), .part(offset: 0, length: 1))
        XCTAssertEqual(range("bytes=10-19"), .part(offset: 10, length: 10))
        XCTAssertEqual(range("bytes=990-"), .part(offset: 990, length: 10))
        XCTAssertEqual(range("bytes=990-5000"), .part(offset: 990, length: 10), "an end past the file is cut")
        XCTAssertEqual(range("bytes=-10"), .part(offset: 990, length: 10))
        XCTAssertEqual(range("bytes=-5000"), .part(offset: 0, length: 1000), "a suffix longer than the file: all")
        XCTAssertEqual(range("Bytes= 10-19 "), .part(offset: 10, length: 10), "the unit is case-insensitive")
    }

    func testUnsatisfiable() {
        XCTAssertEqual(range("bytes=1000-"), .unsatisfiable)
        XCTAssertEqual(range("bytes=1000-2000"), .unsatisfiable)
        XCTAssertEqual(range("bytes=-0"), .unsatisfiable)
        XCTAssertEqual(range("bytes=0-", size: 0), .unsatisfiable)
    }

    func testIgnoredAsTheRFCAllows() {
        for header in ["bytes=0-1,5-6", "items=0-1", "bytes=5-1", "bytes=a-b", "bytes=-", "bytes=",
                       "bytes=99999999999999999999-", "bytes=+1-2", "bytes=0x10-"] {
            XCTAssertEqual(range(header), .whole, header)
        }
        XCTAssertEqual(ByteRange.of(range: ["bytes=0-1", "bytes=2-3"], ifRange: [], size: 10, etag: etag), .whole)
    }

    func testIfRange() {
        XCTAssertEqual(range("bytes=0-9", ifRange: etag), .part(offset: 0, length: 10))
        XCTAssertEqual(range("bytes=0-9", ifRange: "\"other\""), .whole)
        XCTAssertEqual(range("bytes=0-9", ifRange: "W/\"abc\""), .whole, "a weak ETag never matches")
        XCTAssertEqual(range("bytes=0-9", ifRange: "Mon, 07 Dec 2026 12:00:00 GMT"), .whole, "we send no date")
        XCTAssertEqual(range("bytes=1000-", ifRange: "\"other\""), .whole, "not 416: the whole new file")
    }
}
