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
        // FFmpeg 5.1's CLI cannot set a rotation, so write the matrix into the (version 0) tkhd box:
        // 36 bytes at offset 44 from its type, [0 1 0; -1 0 0; 0 0 1] in 16.16 / 2.30 fixed point.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let tkhd = [UInt8]("tkhd".utf8)
        let at = try XCTUnwrap((0..<bytes.count - 4).first { bytes[$0..<$0 + 4].elementsEqual(tkhd) })
        XCTAssertEqual(bytes[at + 4], 0, "version 0 tkhd")
        let matrix: [UInt32] = [0, 0x10000, 0, 0xFFFF_0000, 0, 0, 0, 0, 0x4000_0000]
        for (i, v) in matrix.enumerated() {
            for b in 0..<4 { bytes[at + 44 + 4 * i + b] = UInt8(truncatingIfNeeded: v >> (24 - 8 * b)) }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
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

    func testTheDerivedClipKeepsTheDisplayMatrix() throws {
        let dir = TemporaryDirectory("redact-rotated")
        let src = try rotatedSource(in: dir)
        XCTAssertEqual(try rotation(src), -90)
        // Region coordinates are in the stored (coded) picture: 320x240 here, shown as 240x320.
        let bounds = try Redactor.bounds(of: src)
        XCTAssertEqual([bounds.width, bounds.height], [320, 240])
        let json = #"{"reason": "r", "blur": [{"from": 0, "to": 1, "rect": [200, 0, 120, 240]}]}"#
        let spec = try RedactionSpec.parse(Array(json.utf8), bounds: bounds)
        let out = dir.file("out.mp4")
        _ = try Redactor.redact(input: src, output: out, spec: spec)
        XCTAssertEqual(try rotation(out), -90, "the clip is shown the same way up as its source")
    }
}
