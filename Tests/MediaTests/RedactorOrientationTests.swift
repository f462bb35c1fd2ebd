import Foundation
import TestSupport
import XCTest
@testable import Media

/// A recording stored sideways with a display matrix (a phone or camera held on its side).
final class RedactorOrientationTests: XCTestCase {
    /// A 1 s 320x240 H.264 MP4 whose video track header says "rotate 90 degrees clockwise to show".
    func rotatedSource(in dir: TemporaryDirectory) throws -> String {
        let path = dir.file("rotated.mp4")
        let r = try runProcess(try MediaMeasure.tool("ffmpeg"), ["-hide_banner", "-loglevel", "error", "-y",
                                                                "-f", "lavfi",
                                                                "-i", "testsrc2=size=320x240:rate=30:duration=1",
                                                                "-c:v", "libx264", "-preset", "ultrafast", "-threads",
                                                                "1", path])
        XCTAssertEqual(r.status, 0, r.stderr)
        try SidewaysMedia.turnMP4Clockwise(path)
        return path
    }

    /// ffprobe's rotation of the first video stream's display matrix, if any.
    func rotation(_ path: String) throws -> Int? {
        let r = try runProcess(try MediaMeasure.tool("ffprobe"), ["-v", "error", "-select_streams", "v:0",
                                                                  "-show_entries", "stream_side_data=rotation",
                                                                  "-of", "csv=p=0", path])
        XCTAssertEqual(r.status, 0, r.stderr)
        return Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Regions are in the picture as shown (240x320 here): the black box at the shown top left is black
    /// where a player shows it, and the derived clip is shown the same way up as its source.
    func testRegionsAreInTheShownPictureAndTheClipKeepsTheDisplayMatrix() throws {
        let dir = TemporaryDirectory("redact-rotated")
        let src = try rotatedSource(in: dir)
        XCTAssertEqual(try rotation(src), -90)
        let bounds = try Redactor.bounds(of: src)
        XCTAssertEqual([bounds.width, bounds.height], [240, 320])
        let json = #"{"blur": [{"from": 0, "to": 1, "rect": [0, 0, 120, 80], "style": "black"}]}"#
        let spec = try RedactionSpec.parse(Array(json.utf8), bounds: bounds)
        let out = dir.file("out.mp4")
        _ = try Redactor.redact(input: src, output: out, spec: spec)
        XCTAssertEqual(try rotation(out), -90, "the clip is shown the same way up as its source")
        // ffmpeg turns the pictures as a player does.
        let frames = try MediaMeasure.lumaFrames(out, width: 240, height: 320, in: dir)
        XCTAssertEqual(frames.count, 30)
        let box = MediaMeasure.Box(x: 0, y: 0, w: 120, h: 80).inset(2)
        let opposite = MediaMeasure.Box(x: 120, y: 240, w: 120, h: 80).inset(2)
        for i in [0, 15, 29] {
            XCTAssertLessThan(MediaMeasure.mean(box.pixels(frames[i], width: 240)), 20, "frame \(i): shown top left")
            XCTAssertGreaterThan(MediaMeasure.mean(opposite.pixels(frames[i], width: 240)), 40, "frame \(i)")
        }
    }

    func testARectangleOutsideThePictureAsShownIsRefused() throws {
        let dir = TemporaryDirectory("redact-rotated-bounds")
        let src = try rotatedSource(in: dir)
        // Checked against the stored size, as for an exhibit catalogued before rotations were recorded.
        let json = #"{"blur": [{"from": 0, "to": 1, "rect": [200, 0, 120, 80]}]}"#
        let spec = try RedactionSpec.parse(Array(json.utf8), bounds: .init(width: 320, height: 240, duration: 1))
        XCTAssertThrowsError(try Redactor.redact(input: src, output: dir.file("out.mp4"), spec: spec)) { error in
            XCTAssertTrue("\(error)".contains("blur[0]: the rectangle"), "\(error)")
            XCTAssertTrue("\(error)".contains("leaves the picture as shown (240x320, turned 90 degrees)"), "\(error)")
        }
    }

    func testShownRectanglesMapToTheStoredPicture() throws {
        let shown = RedactionSpec.Rect(x: 0, y: 0, width: 120, height: 80)
        let stored = (0...3).map { Orientation(quarterTurns: $0).stored(shown, width: 320, height: 240) }
        XCTAssertEqual(stored, [shown, .init(x: 0, y: 120, width: 80, height: 120),
                                .init(x: 200, y: 160, width: 120, height: 80),
                                .init(x: 240, y: 0, width: 80, height: 120)])
        let dir = TemporaryDirectory("probe-rotated")
        guard case .readable(let info) = MediaProbe.probe(path: try rotatedSource(in: dir)) else {
            return XCTFail("unreadable")
        }
        XCTAssertEqual(info.video?.rotation, 90)
        XCTAssertEqual(info.video.map { [$0.shownSize.width, $0.shownSize.height] }, [240, 320])
    }
}
