import CustodyCore
import XCTest

/// What fuzzing found, pinned down directly (the inputs themselves are in Fixtures/fuzz/*/regressions/).
final class FuzzFindingsTests: XCTestCase {
    /// tus-headers: `captured_at` of `2-11-25T09:30:00Z` was taken (Foundation's ISO 8601 parser reads
    /// a one-digit year) and normalised to a time that, read again, was a different day (early years
    /// were counted on the Julian calendar, printed on the Gregorian one).
    func testCapturedAtIsReadAsRFC3339ExactlyAndNormalisesToItself() {
        for bad in ["2-11-25T09:30:00Z", "2026-11-25", "2026-11-25T09:30Z", "2026-02-30T00:00:00Z",
                    "2026-11-25T24:00:00Z", "2026-11-25T09:30:00", "2026-11-25T09:30:00+0100",
                    "2026-11-25T09:30:00.Z", "+2026-11-25T09:30:00Z", "2026-11-25T09:30:00Z ",
                    "0000-01-01T00:00:00+01:00"] {
            XCTAssertNil(Timestamp.normalize(bad), bad)
        }
        let cases = ["2026-11-25T09:30:00Z": "2026-11-25T09:30:00.000Z",
                     "2026-11-25t09:30:00.1234z": "2026-11-25T09:30:00.123Z",
                     "2026-11-25T10:30:00.5+01:00": "2026-11-25T09:30:00.500Z",
                     "2024-02-29T23:59:60-00:30": "2024-03-01T00:30:00.000Z",
                     "0002-11-25T09:30:00Z": "0002-11-25T09:30:00.000Z",
                     "2026-11-25T09:30:00.123Z": "2026-11-25T09:30:00.123Z"]
        for (given, normal) in cases {
            XCTAssertEqual(Timestamp.normalize(given), normal, given)
            XCTAssertEqual(Timestamp.normalize(normal), normal, "normalising \(normal) again")
        }
        XCTAssertEqual(Timestamp.parse("1970-01-01T00:00:01.250Z")?.timeIntervalSince1970, 1.25)
        XCTAssertEqual(Timestamp.rfc3339(Date(timeIntervalSince1970: 1_790_000_000.5)), "2026-09-21T14:13:20.500Z")
    }
}
