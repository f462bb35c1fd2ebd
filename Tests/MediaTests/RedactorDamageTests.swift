import Foundation
import MediaModel
import TestSupport
import XCTest
@testable import Media

/// Damaged input: a packet the decoder refuses is skipped and counted, as ffmpeg does.
final class RedactorDamageTests: XCTestCase {
    /// A 1 s MJPEG AVI (30 frames) whose video chunk number `damaged` (0-based) is all zeros.
    func damagedAVI(_ damaged: Set<Int>, in dir: TemporaryDirectory) throws -> String {
        let path = dir.file("damaged.avi")
        let r = try runProcess(try MediaMeasure.tool("ffmpeg"), ["-hide_banner", "-loglevel", "error", "-y",
                                                                "-f", "lavfi",
                                                                "-i", "testsrc2=size=320x240:rate=30:duration=1",
                                                                "-c:v", "mjpeg", "-q:v", "3", path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try DamagedMedia.zeroAVIVideoChunks(path, damaged), 30, "one chunk per frame")
        return path
    }

    func redact(_ source: String, in dir: TemporaryDirectory) throws -> RedactionResult {
        let spec = try RedactionSpec.parse(Array(#"{}"#.utf8), bounds: try Redactor.bounds(of: source))
        return try Redactor.redact(input: source, output: dir.file("out.mp4"), spec: spec)
    }

    func testADamagedPacketIsSkippedAndCounted() throws {
        let dir = TemporaryDirectory("redact-damaged")
        let result = try redact(try damagedAVI([10], in: dir), in: dir)
        XCTAssertEqual(result.videoFrames, 29)
        XCTAssertEqual(result.damagedPackets, 1)
        let (video, _, _) = try MediaMeasure.probe(dir.file("out.mp4"))
        XCTAssertEqual(video["nb_read_frames"] as? String, "29")
    }

    /// H.264 decodes on two frame threads, which report a damaged packet one call late: for the last
    /// packet that is while the decoder drains at the end, which must count it too, not fail.
    func testADamagedLastPacketIsSkippedToo() throws {
        let dir = TemporaryDirectory("redact-damaged-end")
        let path = dir.file("h264.avi")
        let r = try runProcess(try MediaMeasure.tool("ffmpeg"), ["-hide_banner", "-loglevel", "error", "-y",
                                                                "-f", "lavfi",
                                                                "-i", "testsrc2=size=320x240:rate=30:duration=2",
                                                                "-c:v", "libx264", "-preset", "veryfast", "-bf", "0",
                                                                "-g", "60", path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try DamagedMedia.zeroAVIVideoChunks(path, [59]), 60)
        let result = try redact(path, in: dir)
        XCTAssertGreaterThanOrEqual(result.damagedPackets, 1)
        XCTAssertEqual(result.videoFrames, 59)
    }

    func testNothingDecodableFailsNamingTheDamage() throws {
        let dir = TemporaryDirectory("redact-alldamaged")
        XCTAssertThrowsError(try redact(try damagedAVI(Set(0..<30), in: dir), in: dir)) { error in
            let expected = "no video frame of the clip could be decoded (30 damaged packets skipped)"
            XCTAssertTrue("\(error)".contains(expected), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("out.mp4")))
    }
}
