import Foundation
import MediaModel
import TestSupport
import XCTest
@testable import Media

/// Hidden regions and muted audio, measured on the decoded output against the decoded source.
///
/// Thresholds: the crf 18 re-encode of bodycam-a (testsrc2, 320x240) measures 44-48 dB PSNR per frame
/// against the source (RedactorTrimTests prints it), and untouched areas of a redacted frame measure
/// the same. 35 dB leaves ~10 dB of margin, while the neighbouring source frame measures ~25 dB, so
/// 35 dB still tells "unchanged" from "shifted or painted". A black region decodes to Y 16-17 away
/// from its edges; mean < 20 and max < 40 after a 2-pixel inset allow for encoder ringing. The blur
/// changes its region by a mean absolute difference of 35-42 (PSNR 14-16 dB), far past 10 and 25 dB.
/// The muted range decodes to exact zeros (printed as -200 dBFS); the 440 Hz sine is -21 dBFS.
final class RedactorRegionTests: XCTestCase {
    let source = TestPaths.fixture("bodycam-a.mp4")
    let (w, h) = (320, 240)
    typealias Box = MediaMeasure.Box

    func redact(_ json: String, in dir: TemporaryDirectory) throws -> String {
        let spec = try RedactionSpec.parse(Array(json.utf8), bounds: try Redactor.bounds(of: source))
        let out = dir.file("out.mp4")
        _ = try Redactor.redact(input: source, output: out, spec: spec)
        return out
    }

    func region(_ box: Box, _ frame: [UInt8]) -> [UInt8] { box.pixels(frame, width: w) }

    func assertBlack(_ box: Box, _ frame: [UInt8], _ what: String, line: UInt = #line) {
        let p = region(box.inset(2), frame)
        XCTAssertLessThan(MediaMeasure.mean(p), 20, "\(what) should be black", line: line)
        XCTAssertLessThan(Int(p.max() ?? 255), 40, "\(what) should be black", line: line)
    }

    func assertUnchanged(_ box: Box, _ got: [UInt8], _ src: [UInt8], _ what: String, line: UInt = #line) {
        let psnr = MediaMeasure.psnr(region(box, got), region(box, src))
        XCTAssertGreaterThan(psnr, 35, "\(what) should match the source (PSNR \(psnr) dB)", line: line)
    }

    func testBlackBoxIsBlackOnlyInsideItsRectangleAndWindow() throws {
        let dir = TemporaryDirectory("redact-black")
        let out = try redact("""
            {"blur": [{"from": 1.0, "to": 2.0, "rect": [40, 40, 80, 60], "style": "black"}]}
            """, in: dir)
        let src = try MediaMeasure.lumaFrames(source, width: w, height: h, in: dir)
        let got = try MediaMeasure.lumaFrames(out, width: w, height: h, in: dir)
        XCTAssertEqual(got.count, 120)
        let box = Box(x: 40, y: 40, w: 80, h: 60), away = Box(x: 160, y: 120, w: 160, h: 120)
        // The window is [1.0, 2.0): frames 30...59 exactly.
        for i in [30, 45, 59] {
            assertBlack(box, got[i], "frame \(i)")
            assertUnchanged(away, got[i], src[i], "frame \(i) outside the rectangle")
        }
        for i in [0, 29, 60, 100] { assertUnchanged(box, got[i], src[i], "frame \(i) outside the window") }
        XCTAssertGreaterThan(MediaMeasure.mean(region(box, src[45])), 40, "the source is not black there")
    }

    func testBlurHidesTheRegionAndLeavesTheRestAlone() throws {
        let dir = TemporaryDirectory("redact-blur")
        let out = try redact(#"{"blur": [{"from": 1.0, "to": 3.0, "rect": [100, 60, 120, 100]}]}"#,
                             in: dir)
        let src = try MediaMeasure.lumaFrames(source, width: w, height: h, in: dir)
        let got = try MediaMeasure.lumaFrames(out, width: w, height: h, in: dir)
        let box = Box(x: 100, y: 60, w: 120, h: 100), away = Box(x: 0, y: 180, w: 320, h: 60)
        for i in [30, 60, 89] {
            let mad = MediaMeasure.meanAbsoluteDifference(region(box, got[i]), region(box, src[i]))
            let psnr = MediaMeasure.psnr(region(box, got[i]), region(box, src[i]))
            print("blur frame \(i): mean absolute difference \(mad), PSNR \(psnr) dB")
            XCTAssertGreaterThan(mad, 10, "frame \(i) inside the blur")
            XCTAssertLessThan(psnr, 25, "frame \(i) inside the blur")
            assertUnchanged(away, got[i], src[i], "frame \(i) outside the rectangle")
        }
        for i in [10, 29, 90] { assertUnchanged(box, got[i], src[i], "frame \(i) outside the window") }
    }

    func testMovingRegionFollowsItsKeyframes() throws {
        let dir = TemporaryDirectory("redact-moving")
        let out = try redact("""
            {"blur": [{"from": 1.0, "to": 3.0, "rect": [0, 0, 64, 64], "style": "black",
                                      "keyframes": [{"t": 3.0, "rect": [240, 160, 64, 64]}]}]}
            """, in: dir)
        let src = try MediaMeasure.lumaFrames(source, width: w, height: h, in: dir)
        let got = try MediaMeasure.lumaFrames(out, width: w, height: h, in: dir)
        let start = Box(x: 0, y: 0, w: 64, h: 64), middle = Box(x: 120, y: 80, w: 64, h: 64)
        let end = Box(x: 240, y: 160, w: 64, h: 64)
        assertBlack(start, got[30], "the starting rectangle at 1.0 s")
        assertBlack(middle, got[60], "the interpolated rectangle at 2.0 s")
        assertUnchanged(start, got[60], src[60], "the starting position at 2.0 s")
        assertUnchanged(end, got[60], src[60], "the final position at 2.0 s")
        assertBlack(Box(x: 236, y: 158, w: 64, h: 64), got[89], "the rectangle at 2.967 s")
    }

    func testMutedRangeIsSilentAndTheRestIsNot() throws {
        // Source times; the clip's start is output time 0. The second clip starts mid-GOP, so the
        // demuxer seeks to the keyframe before 0.7 s and the audio is cut from decoded samples.
        for (clip, mute) in [((0.5, 3.5), (1.5, 2.5)), ((1.2, 3.8), (2.0, 2.5))] {
            let dir = TemporaryDirectory("redact-mute")
            let out = try redact("""
                {"clip": [\(clip.0), \(clip.1)], "mute": [{"from": \(mute.0), "to": \(mute.1)}]}
                """, in: dir)
            let samples = try MediaMeasure.monoSamples(out, in: dir)
            let (a, b) = (mute.0 - clip.0, mute.1 - clip.0)
            XCTAssertEqual(Double(samples.count) / 48000, clip.1 - clip.0, accuracy: 0.03)
            // AAC frames overlap by 1024 samples (21 ms): skip 25 ms at each edge of the muted range.
            let muted = MediaMeasure.dBFS(samples, rate: 48000, from: a + 0.025, to: b - 0.025)
            let before = MediaMeasure.dBFS(samples, rate: 48000, from: 0.05, to: a - 0.025)
            let after = MediaMeasure.dBFS(samples, rate: 48000, from: b + 0.025, to: clip.1 - clip.0 - 0.05)
            print("mute \(mute) in clip \(clip): muted \(muted) dBFS, before \(before) dBFS, after \(after) dBFS")
            XCTAssertLessThan(muted, -80)
            XCTAssertGreaterThan(before, -30)
            XCTAssertGreaterThan(after, -30)
            // The cut is sample-accurate and in sync: 5 ms outside the edges it is already loud.
            XCTAssertGreaterThan(MediaMeasure.dBFS(samples, rate: 48000, from: a - 0.03, to: a - 0.005), -30)
            XCTAssertGreaterThan(MediaMeasure.dBFS(samples, rate: 48000, from: b + 0.005, to: b + 0.03), -30)
            // Sync: exact digital silence begins within one AAC frame pair (2048 samples, 43 ms) after
            // the muted range's start, so the audio is not shifted against the clip.
            let first = Int((a - 0.1) * 48000)
            let silentFrom = try XCTUnwrap((first..<samples.count - 2048).first { i in
                samples[i..<i + 2048].allSatisfy { $0 == 0 }
            })
            XCTAssertTrue((Int(a * 48000)...Int(a * 48000) + 2048).contains(silentFrom),
                          "silence starts at sample \(silentFrom)")
        }
    }
}
