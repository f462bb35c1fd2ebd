import CourtBundle
import CustodyCore
import XCTest

final class BundleLayoutTests: XCTestCase {
    func testIDsAreNumberedAndParsedBack() {
        XCTAssertEqual(BundleID.make(number: 7), "BN-000007")
        XCTAssertEqual(BundleID.make(number: 12_345_678), "BN-12345678")
        XCTAssertEqual(BundleID.number(of: "BN-000007"), 7)
        XCTAssertNil(BundleID.number(of: "BN-7"))
        XCTAssertNil(BundleID.number(of: "EX-000007"))
        XCTAssertNil(BundleID.number(of: "BN-00000x"))
    }

    func testClipNamesKeepOnlyPortableCharacters() {
        XCTAssertEqual(BundleLayout.clip(exhibit: "EX-000003", filename: "cam 1/100%\r\n.mp4"),
                       "data/EX-000003_cam_1_100___.mp4")
        XCTAssertEqual(BundleLayout.clip(exhibit: "EX-000003", filename: nil), "data/EX-000003_recording")
        XCTAssertEqual(BundleLayout.clip(exhibit: "EX-000003", filename: ".."), "data/EX-000003_recording")
        XCTAssertEqual(BundleLayout.clip(exhibit: "EX-1", filename: String(repeating: "é", count: 120)),
                       "data/EX-1_" + String(repeating: "_", count: 100))
    }
}
