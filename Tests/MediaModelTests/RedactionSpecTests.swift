import Foundation
import TestSupport
import XCTest
@testable import MediaModel

final class RedactionSpecTests: XCTestCase {
    let bounds = RedactionSpec.Bounds(width: 320, height: 240, duration: 4.0)

    func parse(_ json: String) throws -> RedactionSpec { try RedactionSpec.parse(Array(json.utf8), bounds: bounds) }

    /// Asserts the spec is rejected with an error naming `field` whose message contains `words`.
    func assertRejected(_ json: String, field: String, _ words: String = "", line: UInt = #line) {
        XCTAssertThrowsError(try parse(json), line: line) { error in
            guard let e = error as? RedactionSpecError else { return XCTFail("\(error)", line: line) }
            XCTAssertEqual(e.field, field, e.description, line: line)
            XCTAssertTrue(e.message.contains(words), e.description, line: line)
        }
    }

    func testTheFixtureSpecIsAcceptedAndMeansWhatItSays() throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("redaction-spec.json"))))
        let spec = try RedactionSpec.parse(bytes, bounds: bounds)
        XCTAssertEqual(spec.clip, .init(from: 0.5, to: 3.5))
        XCTAssertEqual(spec.regions.count, 2)
        XCTAssertEqual(spec.regions[0].style, .blur)
        XCTAssertEqual(spec.regions[0].track.count, 3)
        XCTAssertEqual(spec.regions[1].style, .black)
        XCTAssertEqual(spec.mutes, [.init(from: 1.5, to: 2.5)])
    }

    func testRectanglesMoveLinearlyBetweenKeyframes() throws {
        let spec = try parse("""
            {"blur": [{"from": 1, "to": 3, "rect": [0, 0, 64, 64],
              "keyframes": [{"t": 2, "rect": [100, 50, 64, 64]}, {"t": 2.5, "rect": [100, 50, 32, 32]}]}]}
            """)
        let r = spec.regions[0]
        XCTAssertNil(r.rect(at: 0.99))
        XCTAssertEqual(r.rect(at: 1), .init(x: 0, y: 0, width: 64, height: 64))
        XCTAssertEqual(r.rect(at: 1.5), .init(x: 50, y: 25, width: 64, height: 64))
        XCTAssertEqual(r.rect(at: 2), .init(x: 100, y: 50, width: 64, height: 64))
        XCTAssertEqual(r.rect(at: 2.25), .init(x: 100, y: 50, width: 48, height: 48))
        XCTAssertEqual(r.rect(at: 2.9), .init(x: 100, y: 50, width: 32, height: 32), "held after the last keyframe")
        XCTAssertNil(r.rect(at: 3), "the window is half-open")
        let keyframesOnly = try parse("""
            {"blur": [{"from": 1, "to": 3, "keyframes": [{"t": 2, "rect": [8, 8, 8, 8]}]}]}
            """)
        XCTAssertEqual(keyframesOnly.regions[0].rect(at: 1), .init(x: 8, y: 8, width: 8, height: 8),
                       "held before the first")
    }

    func testEveryRuleNamesTheField() {
        assertRejected("[1]", field: "spec", "must be an object")
        assertRejected("{", field: "spec", "not valid JSON")
        // The reason is given once, on the command line (`--reason`), and recorded in the ledger.
        assertRejected(#"{"reason": "CPS 17", "clip": [0, 1]}"#, field: "reason", "give it with --reason")
        assertRejected(#"{"blurr": []}"#, field: "blurr", "unknown key")
        assertRejected(#"{"clip": [2, 1]}"#, field: "clip", "before end")
        assertRejected(#"{"clip": [1]}"#, field: "clip", "[start, end]")
        assertRejected(#"{"clip": [1, 4.5]}"#, field: "clip[1]", "past the end")
        assertRejected(#"{"clip": [-1, 2]}"#, field: "clip[0]", "before the start")
        assertRejected(#"{"clip": [true, 2]}"#, field: "clip[0]", "number")
        assertRejected(#"{"blur": {}}"#, field: "blur", "list")
        assertRejected(#"{"blur": [{"from": 2, "to": 2, "rect": [0, 0, 8, 8]}]}"#, field: "blur[0]",
                       "must be before")
        assertRejected(#"{"blur": [{"from": 1, "rect": [0, 0, 8, 8]}]}"#, field: "blur[0].to",
                       "required")
        assertRejected(#"{"blur": [{"from": 1, "to": 2}]}"#, field: "blur[0].rect", "required")
        assertRejected(#"{"blur": [{"from": 1, "to": 2, "rect": [0, 0, 8, 8], "colour": 1}]}"#,
                       field: "blur[0].colour", "unknown key")
        assertRejected(#"{"blur": [{"from": 1, "to": 2, "rect": [0, 0, 8, 8], "style": "pink"}]}"#,
                       field: "blur[0].style", "\"black\"")
        assertRejected(#"{"blur": [{"from": 0, "to": 1, "rect": [300, 0, 40, 8]}]}"#,
                       field: "blur[0].rect", "x + w = 340 exceeds the frame width 320")
        assertRejected(#"{"blur": [{"from": 0, "to": 1, "rect": [0, 200, 8, 41]}]}"#,
                       field: "blur[0].rect", "y + h = 241 exceeds the frame height 240")
        assertRejected(#"{"blur": [{"from": 0, "to": 1, "rect": [0, 0, 0, 8]}]}"#,
                       field: "blur[0].rect", "positive")
        assertRejected(#"{"blur": [{"from": 0, "to": 1, "rect": [-2, 0, 8, 8]}]}"#,
                       field: "blur[0].rect", "negative")
        assertRejected(#"{"blur": [{"from": 0, "to": 1, "rect": [0.5, 0, 8, 8]}]}"#,
                       field: "blur[0].rect", "whole number")
        assertRejected(#"{"blur": [{"from": 0, "to": 1, "rect": [0, 0, 8]}]}"#,
                       field: "blur[0].rect", "[x, y, w, h]")
        let moving = #"{"blur": [{"from": 1, "to": 2, "rect": [0, 0, 8, 8], "keyframes": "#
        assertRejected(moving + #"[{"t": 1.5, "rect": [0, 0, 8, 8]}, {"t": 1.2, "rect": [0, 0, 8, 8]}]}]}"#,
                       field: "blur[0].keyframes[1].t", "after the previous")
        assertRejected(moving + #"[{"t": 2.5, "rect": [0, 0, 8, 8]}]}]}"#, field: "blur[0].keyframes[0].t", "outside")
        assertRejected(moving + #"[{"t": 1.5, "rect": [300, 0, 100, 8]}]}]}"#, field: "blur[0].keyframes[0].rect",
                       "x + w = 400 exceeds the frame width 320")
        assertRejected(moving + #"[{"t": 1.5, "box": [0, 0, 8, 8]}]}]}"#, field: "blur[0].keyframes[0].box", "unknown")
        assertRejected(#"{"mute": [{"from": 1, "to": 5}]}"#, field: "mute[0].to", "past the end")
        assertRejected(#"{"mute": [{"from": 1, "to": 2}, {"from": 3, "to": 2}]}"#, field: "mute[1]",
                       "before")
        assertRejected(#"{"mute": [{"from": 1, "to": 2, "gain": 0}]}"#, field: "mute[0].gain", "unknown")
    }

    func testLimits() {
        let region = #"{"from": 0, "to": 1, "rect": [0, 0, 8, 8]}"#
        let regions = Array(repeating: region, count: RedactionSpec.maxRegions + 1).joined(separator: ",")
        assertRejected(#"{"blur": [\#(regions)]}"#, field: "blur", "at most 256")
        let mutes = Array(repeating: #"{"from": 0, "to": 1}"#, count: RedactionSpec.maxMutes + 1).joined(separator: ",")
        assertRejected(#"{"mute": [\#(mutes)]}"#, field: "mute", "at most 256")
        let keyframes = (0...RedactionSpec.maxKeyframes).map { #"{"t": \#(Double($0) / 2000), "rect": [0, 0, 8, 8]}"# }
        let list = keyframes.joined(separator: ",")
        assertRejected(#"{"blur": [{"from": 0, "to": 1, "keyframes": [\#(list)]}]}"#,
                       field: "blur[0].keyframes", "at most 1024")
        let big = #"{"blur": "\#(String(repeating: "x", count: RedactionSpec.maxBytes))"}"#
        assertRejected(big, field: "spec", "limit")
    }

    /// Malformed JSON is refused with the line and column (characters, from 1) of the first error.
    func testMalformedJSONNamesLineAndColumn() {
        assertRejected("{\n  \"clip\": [0, 1],\n  \"mute\": [{\"from\": 1 \"to\": 2}]\n}", field: "spec",
                       "expected ',' or '}' (found '\"') at line 3, column 23")
        assertRejected(#"{"clip": [0, 1,]}"#, field: "spec", "expected a value (found ']') at line 1, column 16")
        assertRejected(#"{"clip": [0, 1]"#, field: "spec", "(found the end of the text) at line 1, column 16")
        assertRejected(#"{"é": tru}"#, field: "spec", "expected true (found '}') at line 1, column 10")
        assertRejected("{\"clip\": [0, 1]}\n}", field: "spec", "text after the end of the spec (found '}') at line 2")
        assertRejected("{\"blur\": \"a\nb\"}", field: "spec", "control character")
        assertRejected(#"{"clip": [01, 2]}"#, field: "spec", "line 1, column 12")
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        assertRejected(#"{"blur": \#(deep)}"#, field: "spec", "more than 64 nested")
    }

    func testRepeatedKeysAreRefusedNotLastOneWins() throws {
        assertRejected(#"{"clip": [0, 4], "clip": [1, 2]}"#, field: "clip", "appears twice")
        assertRejected(#"{"mute": [{"from": 1, "to": 2}, {"from": 1, "to": 2, "to": 3}]}"#,
                       field: "mute[1].to", "appears twice")
        assertRejected(#"{"blur": [{"from": 0, "to": 1, "rect": [0, 0, 8, 8], "keyframes": "#
                       + #"[{"t": 0.5, "rect": [0, 0, 8, 8], "r\u0065ct": [1, 1, 8, 8]}]}]}"#,
                       field: "blur[0].keyframes[0].rect", "appears twice")
        // Equal keys in different objects are fine, and so are keys inside strings (the style is wrong).
        let spec = try parse(#"{"mute": [{"from": 1, "to": 2}, {"from": 2, "to": 3}]}"#)
        XCTAssertEqual(spec.mutes.count, 2)
        assertRejected(#"{"blur": [{"from": 0, "to": 1, "rect": [0, 0, 8, 8], "style": "a \"style\": 1, \"style\""}]}"#,
                       field: "blur[0].style", "must be")
    }
}
