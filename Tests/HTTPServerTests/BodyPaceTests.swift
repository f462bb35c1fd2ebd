@testable import HTTPServer
import XCTest

/// The body pace rule's arithmetic, with waiting times given rather than measured.
final class BodyPaceTests: XCTestCase {
    static let second: UInt64 = 1_000_000_000

    func testATrickleIsCutOffAtTheEndOfItsFirstWindow() throws {
        var pace = BodyPace(bytesPerSecond: 1000, window: 2)
        XCTAssertEqual(pace.allowance, 2 * Self.second, "the first window is the grace period")
        try pace.record(1, waited: Self.second)
        XCTAssertEqual(pace.allowance, Self.second)
        XCTAssertThrowsError(try pace.record(1, waited: Self.second)) { error in
            XCTAssertEqual((error as? HTTPRequestError)?.status, .requestTimeout)
            XCTAssertEqual((error as? HTTPRequestError)?.message, "request body slower than 2000 bytes in 2.0 s")
        }
    }

    func testAReadThatWaitsItsWholeAllowanceEndsTheWindow() throws {
        var pace = BodyPace(bytesPerSecond: 1000, window: 2)
        try pace.record(10, waited: Self.second / 3)
        let allowance = try XCTUnwrap(pace.allowance)
        XCTAssertThrowsError(try pace.record(0, waited: allowance))
    }

    func testEveryWindowMustBeMetNotJustTheAverage() throws {
        var pace = BodyPace(bytesPerSecond: 1000, window: 2)
        try pace.record(1_000_000, waited: Self.second / 2)
        // Met early: the rest of this window and all of the next may pass before the next byte.
        XCTAssertEqual(pace.allowance, 3 * Self.second + Self.second / 2)
        try pace.record(2000, waited: 3 * Self.second)
        // A megabyte up front does not buy a trickle afterwards.
        XCTAssertThrowsError(try pace.record(1999, waited: 2 * Self.second))
    }

    func testASteadyBodyAtThePaceIsNeverCutOff() throws {
        var pace = BodyPace(bytesPerSecond: 1000, window: 2)
        for _ in 0..<100 {
            try pace.record(100, waited: Self.second / 10)
        }
    }

    func testNoPaceChecksNothing() throws {
        var pace = BodyPace(bytesPerSecond: 0, window: 10)
        XCTAssertNil(pace.allowance)
        try pace.record(0, waited: 1000 * Self.second)
    }
}
