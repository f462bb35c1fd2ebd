import Foundation
import MediaModel
import TestSupport
import XCTest
@testable import Media

/// A recording stored sideways with a display matrix (a phone or camera held on its side).
final class RedactorOrientationTests: XCTestCase {
    /// A 1 s 320x240 H.264 MP4 whose video track header says "rotate 90 degrees clockwise to show".
    func rotatedSource(in dir: TemporaryDirectory) throws -> String {
        let path = try plainSource(in: dir)
        try SidewaysMedia.turnMP4Clockwise(path)
        return path
    }

    /// A 1 s 320x240 H.264 MP4 of testsrc2, shown as stored.
    func plainSource(in dir: TemporaryDirectory) throws -> String {
        let path = dir.file("source-\(UUID().uuidString.prefix(8)).mp4")
        let r = try runProcess(try MediaMeasure.tool("ffmpeg"), ["-hide_banner", "-loglevel", "error", "-y",
                                                                "-f", "lavfi",
                                                                "-i", "testsrc2=size=320x240:rate=30:duration=1",
                                                                "-c:v", "libx264", "-preset", "ultrafast", "-threads",
                                                                "1", path])
        XCTAssertEqual(r.status, 0, r.stderr)
        return path
    }

    /// The video stream's display matrix as ffprobe prints it: 9 integers, row by row.
    func displayMatrix(_ path: String) throws -> [Int] {
        let r = try runProcess(try MediaMeasure.tool("ffprobe"), ["-v", "error", "-select_streams", "v:0",
                                                                  "-show_entries", "stream_side_data=displaymatrix",
                                                                  "-of", "json", path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let stream = try XCTUnwrap((root["streams"] as? [[String: Any]])?.first)
        let text = try XCTUnwrap((stream["side_data_list"] as? [[String: Any]])?.first?["displaymatrix"] as? String)
        // "\n00000000:       -65536           0           0\n00000001: ..." (an offset, then three values).
        return text.split(separator: "\n").flatMap { $0.split(separator: " ").dropFirst().compactMap { Int($0) } }
    }

    /// A mirrored display matrix (negative determinant) is a flip, not a half turn: the region lands where
    /// a player shows it. FFmpeg 5.1's CLI cannot show a flip (its autorotation reads it as 180 degrees),
    /// so the test shows the stored pictures itself, by the display matrix as FFmpeg's display.h defines it:
    /// the stored pixel (x, y) is shown at (a*x + c*y + tx, b*x + d*y + ty), tx and ty in 16.16.
    func testAMirroredRecordingIsRedactedWhereAPlayerShowsIt() throws {
        let dir = TemporaryDirectory("redact-mirrored")
        let src = try plainSource(in: dir)
        try SidewaysMedia.mirrorMP4(src, width: 320)
        let matrix = try displayMatrix(src)
        XCTAssertEqual(matrix, [-65536, 0, 0, 0, 65536, 0, 320 << 16, 0, 1 << 30])
        let bounds = try Redactor.bounds(of: src)
        XCTAssertEqual([bounds.width, bounds.height], [320, 240])
        let json = #"{"blur": [{"from": 0, "to": 1, "rect": [0, 0, 120, 80], "style": "black"}]}"#
        let out = dir.file("out.mp4")
        _ = try Redactor.redact(input: src, output: out, spec: try RedactionSpec.parse(Array(json.utf8), bounds: bounds))
        XCTAssertEqual(try displayMatrix(out), matrix, "the clip is shown the same way as its source")

        let stored = try MediaMeasure.lumaFrames(out, width: 320, height: 240, in: dir, autorotate: false)
        XCTAssertEqual(stored.count, 30)
        let (a, b, c, d) = (matrix[0] >> 16, matrix[1] >> 16, matrix[3] >> 16, matrix[4] >> 16)
        let (tx, ty) = (matrix[6] >> 16, matrix[7] >> 16)
        func shown(_ picture: [UInt8]) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: 320 * 240)
            for y in 0..<240 {
                for x in 0..<320 {
                    // Pixel centres: the stored pixel covering [x, x+1) lands on [x', x'+1).
                    let sx = (2 * (a * x + c * y + tx) + a + c - 1) / 2, sy = (2 * (b * x + d * y + ty) + b + d - 1) / 2
                    out[sy * 320 + sx] = picture[y * 320 + x]
                }
            }
            return out
        }
        let box = MediaMeasure.Box(x: 0, y: 0, w: 120, h: 80).inset(2)
        let otherSide = MediaMeasure.Box(x: 200, y: 0, w: 120, h: 80).inset(2)
        let halfTurn = MediaMeasure.Box(x: 0, y: 160, w: 120, h: 80).inset(2)
        for i in [0, 15, 29] {
            let picture = shown(stored[i])
            XCTAssertLessThan(MediaMeasure.mean(box.pixels(picture, width: 320)), 20, "frame \(i): shown top left")
            XCTAssertGreaterThan(MediaMeasure.mean(otherSide.pixels(picture, width: 320)), 40, "frame \(i)")
            XCTAssertGreaterThan(MediaMeasure.mean(halfTurn.pixels(picture, width: 320)), 40,
                                 "frame \(i): not where a half turn would put it")
        }
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

    /// The eight axis-aligned display matrices FFmpeg makes with `av_display_rotation_set` and then
    /// `av_display_matrix_flip` (which negates the first column for a horizontal flip, the second for a
    /// vertical one), in 16.16.
    func testDisplayMatricesWithFlipsAreTurnsThenAMirror() {
        let one: Int32 = 0x10000, w: Int32 = 1 << 30
        func matrix(_ a: Int32, _ b: Int32, _ c: Int32, _ d: Int32) -> [Int32] { [a, b, 0, c, d, 0, 0, 0, w] }
        XCTAssertEqual(Orientation(matrix: matrix(one, 0, 0, one)), Orientation(quarterTurns: 0))
        XCTAssertEqual(Orientation(matrix: matrix(0, one, -one, 0)), Orientation(quarterTurns: 1))
        XCTAssertEqual(Orientation(matrix: matrix(-one, 0, 0, -one)), Orientation(quarterTurns: 2))
        XCTAssertEqual(Orientation(matrix: matrix(-one, 0, 0, one)), Orientation(quarterTurns: 0, mirrored: true))
        XCTAssertEqual(Orientation(matrix: matrix(one, 0, 0, -one)), Orientation(quarterTurns: 2, mirrored: true))
        XCTAssertEqual(Orientation(matrix: matrix(0, one, one, 0)), Orientation(quarterTurns: 1, mirrored: true))
        XCTAssertEqual(Orientation(matrix: matrix(0, -one, -one, 0)), Orientation(quarterTurns: 3, mirrored: true))
        XCTAssertEqual(Orientation(quarterTurns: 1, mirrored: true).summary, "turned 90 degrees and mirrored")
    }

    func testShownRectanglesMapToTheStoredPicture() throws {
        let shown = RedactionSpec.Rect(x: 0, y: 0, width: 120, height: 80)
        let stored = (0...3).map { Orientation(quarterTurns: $0).stored(shown, width: 320, height: 240) }
        // Mirrored after the turn: the shown top left is the stored top right (no turn), the stored top
        // left (a quarter turn and a mirror: a transpose), the stored bottom left (a half turn and a mirror).
        let mirrored = (0...3).map { Orientation(quarterTurns: $0, mirrored: true).stored(shown, width: 320,
                                                                                          height: 240) }
        XCTAssertEqual(mirrored, [.init(x: 200, y: 0, width: 120, height: 80), .init(x: 0, y: 0, width: 80, height: 120),
                                  .init(x: 0, y: 160, width: 120, height: 80),
                                  .init(x: 240, y: 120, width: 80, height: 120)])
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
