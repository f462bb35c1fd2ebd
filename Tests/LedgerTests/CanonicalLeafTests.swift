import CustodyCore
import Foundation
import XCTest
@testable import Ledger

final class CanonicalLeafTests: XCTestCase {
    func testLeafIsSortedCompactJSONWithAbsentFieldsOmitted() {
        let e = CustodyEvent(seq: 7, time: "2026-11-24T10:00:00.123Z", actor: .officer("PC-4471"), action: .export,
                             exhibit: "EX-000001", objectSHA256: String(repeating: "ab", count: 32),
                             reason: "CPS request", details: ["z": "1", "a": "x\"y"])
        let expected = #"{"action":"export","actor":"PC-4471","actor_kind":"officer","details":{"a":"x\"y","z":"1"},"#
            + #""exhibit":"EX-000001","object_sha256":"\#(String(repeating: "ab", count: 32))","outcome":"ok","#
            + #""reason":"CPS request","seq":7,"time":"2026-11-24T10:00:00.123Z"}"#
        XCTAssertEqual(String(decoding: e.leafBytes, as: UTF8.self), expected)
    }

    func testStringEscapesFollowRFC8785() {
        let value = CanonicalJSON.Value.string("tab\t nl\n bell\u{07} quote\" back\\ slash/ é €")
        XCTAssertEqual(String(decoding: CanonicalJSON.encode(value), as: UTF8.self),
                       #""tab\t nl\n bell\u0007 quote\" back\\ slash/ é €""#)
    }

    func testKeysSortByUTF16CodeUnits() {
        // RFC 8785 3.2.3: U+1F600 (surrogates D83D DE00) sorts before U+FB33 by UTF-16 code units,
        // though after it by code point; ASCII "z" comes first.
        let value = CanonicalJSON.Value.object(["\u{FB33}": .integer(1), "\u{1F600}": .integer(2), "z": .integer(3)])
        XCTAssertEqual(String(decoding: CanonicalJSON.encode(value), as: UTF8.self),
                       "{\"z\":3,\"\u{1F600}\":2,\"\u{FB33}\":1}")
    }

    func testLeafRoundTripsThroughTheEventsTable() throws {
        let log = try EventLog(db: try TestDatabase.make())
        let e = try log.append(CustodyEvent(actor: .device("dock-3"), action: .upload, outcome: .refused,
                                            reason: "unknown token", details: ["path": "/files/x"]))
        XCTAssertEqual(e.seq, 0)
        let stored = try XCTUnwrap(log.events().first)
        XCTAssertEqual(stored, e)
        XCTAssertEqual(stored.leafBytes, e.leafBytes)
    }
}
