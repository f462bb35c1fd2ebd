import Foundation
import TestSupport
import XCTest
@testable import Media

/// Trims and formats: frame-accurate cuts, output parameters, reproducible bytes, odd sources.
final class RedactorTrimTests: XCTestCase {
    let source = TestPaths.fixture("bodycam-a.mp4")

    func redact(_ json: String, source: String? = nil, in dir: TemporaryDirectory,
                isCancelled: (() -> Bool)? = nil) throws -> (path: String, result: RedactionResult) {
        let input = source ?? self.source
        let spec = try RedactionSpec.parse(Array(json.utf8), bounds: try Redactor.bounds(of: input))
        let out = dir.file("out-\(UUID().uuidString.prefix(8)).mp4")
        let result = try Redactor.redact(input: input, output: out, spec: spec, isCancelled: isCancelled)
        return (out, result)
    }

    func testTrimIsFrameAccurateWithFaststart() throws {
        let dir = TemporaryDirectory("redact-trim")
        let (out, result) = try redact(#"{"reason": "trim", "clip": [1.0, 2.5]}"#, in: dir)
        XCTAssertEqual(result.videoFrames, 45)
        XCTAssertEqual(result.audioSamples, 72_000)
        let (video, audio, format) = try MediaMeasure.probe(out)
        XCTAssertEqual(video["codec_name"] as? String, "h264")
        XCTAssertEqual(video["pix_fmt"] as? String, "yuv420p")
        XCTAssertEqual(video["width"] as? Int, 320)
        XCTAssertEqual(video["height"] as? Int, 240)
        XCTAssertEqual(video["avg_frame_rate"] as? String, "30/1")
        XCTAssertEqual(video["nb_read_frames"] as? String, "45")
        XCTAssertEqual(try XCTUnwrap(Double(video["duration"] as? String ?? "")), 1.5, accuracy: 1.0 / 30)
        XCTAssertEqual(audio?["codec_name"] as? String, "aac")
        XCTAssertEqual(audio?["sample_rate"] as? String, "48000")
        XCTAssertEqual(audio?["channels"] as? Int, 1)
        XCTAssertEqual(try XCTUnwrap(Double(audio?["duration"] as? String ?? "")), 1.5, accuracy: 0.03)
        XCTAssertEqual(try XCTUnwrap(Double(format["duration"] as? String ?? "")), 1.5, accuracy: 1.0 / 30)
        let moov = try XCTUnwrap(try MediaMeasure.offset(of: "moov", in: out))
        let mdat = try XCTUnwrap(try MediaMeasure.offset(of: "mdat", in: out))
        XCTAssertLessThan(moov, mdat, "faststart puts the index before the media data")

        // The kept frames are source frames 30..<75: frame-accurate, not keyframe-rounded.
        let src = try MediaMeasure.lumaFrames(source, width: 320, height: 240, in: dir)
        let got = try MediaMeasure.lumaFrames(out, width: 320, height: 240, in: dir)
        XCTAssertEqual(got.count, 45)
        for i in [0, 1, 22, 44] {
            let same = MediaMeasure.psnr(got[i], src[30 + i])
            let neighbour = MediaMeasure.psnr(got[i], src[30 + i + (i == 44 ? -1 : 1)])
            print("frame \(i): psnr to source \(same) dB, to neighbour \(neighbour) dB")
            XCTAssertGreaterThan(same, neighbour, "output frame \(i) is source frame \(30 + i)")
        }
    }
}
