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
        let log = try EventLog(db: try makeDatabase())
        let e = try log.append(CustodyEvent(actor: .device("dock-3"), action: .upload, outcome: .refused,
                                            reason: "unknown token", details: ["path": "/files/x"]))
        XCTAssertEqual(e.seq, 0)
        let stored = try XCTUnwrap(log.events().first)
        XCTAssertEqual(stored, e)
        XCTAssertEqual(stored.leafBytes, e.leafBytes)
    }
}

final class CanonicalFastPathTests: XCTestCase {
    let awkward = ["", "plain", "quote\" back\\ nl\n tab\t nul\u{0} del\u{7f}", "é € 😀 \u{FB33}", "/slash", "\u{1F}"]

    func testDirectLeafEncodingEqualsTheDictionaryEncoding() {
        var generator = SystemRandomNumberGenerator()
        for n in 0..<500 {
            let pick = { self.awkward.randomElement(using: &generator)! }
            let details = Dictionary(uniqueKeysWithValues: (0..<Int.random(in: 0...4, using: &generator)).map {
                ("\(pick())k\($0)", pick())
            })
            let e = CustodyEvent(seq: Int64(n), time: pick(), actor: Actor(id: "PC-\(n)", kind: .recipient),
                                 action: .allCases.randomElement(using: &generator)!,
                                 exhibit: Bool.random(using: &generator) ? pick() : nil,
                                 caseID: Bool.random(using: &generator) ? pick() : nil,
                                 objectSHA256: Bool.random(using: &generator) ? pick() : nil,
                                 outcome: .allCases.randomElement(using: &generator)!,
                                 reason: Bool.random(using: &generator) ? pick() : nil, details: details)
            XCTAssertEqual(e.leafBytes, e.leafBytesViaDictionary, "\(e)")
        }
    }

    func testStringObjectParserAgreesWithFoundation() throws {
        var inputs = [#"{}"#, #" { "a" : "b" , "c":"d" } "#, #"{"k":"\u00e9\ud83d\ude00\/\b\f\n\r\t\"\\"}"#]
        for a in awkward {
            for b in awkward {
                var out = [UInt8]()
                CanonicalJSON.writeStringObject(["x" + a: b, "y": a], into: &out)
                inputs.append(String(decoding: out, as: UTF8.self))
            }
        }
        for text in inputs {
            let expected = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String]
            XCTAssertEqual(CanonicalJSON.parseStringObject(text), expected, text)
        }
        for bad in ["", "{", "{\"a\":1}", "{\"a\":\"b\",}", "{\"a\":\"b\"} x", "{\"a\":\"b\",\"a\":\"c\"}", "[]",
                    "{\"a\":\"\\ud83d\"}", "{\"a\":\"\\udc00\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\n\"}", "{'a':'b'}"] {
            XCTAssertNil(CanonicalJSON.parseStringObject(bad), bad)
        }
    }
}
