import Foundation
import MediaModel
import TestSupport
import XCTest
@testable import Media

/// Where a spec's times land: sources without a duration, coarse time bases, sources whose timestamps
/// do not start at 0, seeks in files without a keyframe index, and audio with timestamp gaps.
final class RedactorTimingTests: XCTestCase {
    /// Runs `ffmpeg -f lavfi -i testsrc2 ...` through the shell (so the output may be a pipe).
    func makeSource(_ name: String, seconds: Double, _ args: String, in dir: TemporaryDirectory) throws -> String {
        let out = dir.file(name)
        let ffmpeg = try MediaMeasure.tool("ffmpeg")
        let command = "\(ffmpeg) -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=320x240:rate=30:duration="
            + "\(seconds) \(args)"
        let r = try runProcess("/bin/sh", ["-c", command.replacingOccurrences(of: "OUT", with: out)])
        XCTAssertEqual(r.status, 0, r.stderr)
        return out
    }

    func redact(_ json: String, source: String, duration: Double? = nil,
                in dir: TemporaryDirectory) throws -> (path: String, result: RedactionResult) {
        var bounds = try Redactor.bounds(of: source)
        if let duration { bounds.duration = duration }
        let spec = try RedactionSpec.parse(Array(json.utf8), bounds: bounds)
        let out = dir.file("out-\(UUID().uuidString.prefix(8)).mp4")
        return (out, try Redactor.redact(input: source, output: out, spec: spec))
    }

    /// An MKV written to a pipe has no duration, so the vault checks times against infinity: huge
    /// times must neither trap nor be refused.
    func testHugeTimesOnASourceWithoutDuration() throws {
        let dir = TemporaryDirectory("redact-huge")
        let src = try makeSource("pipe.mkv", seconds: 1, "-f lavfi -i sine=frequency=440:sample_rate=48000:duration=1 "
                                 + "-c:v libx264 -preset ultrafast -threads 1 -c:a aac -f matroska pipe:1 > OUT",
                                 in: dir)
        XCTAssertEqual(try Redactor.bounds(of: src).duration, 0, "the source does not know its duration")
        let (out, result) = try redact(#"{"clip": [0, 1e300], "mute": [{"from": 0.5, "to": 1e300}]}"#,
                                       source: src, duration: .infinity, in: dir)
        XCTAssertEqual(result.videoFrames, 30)
        XCTAssertThrowsError(try redact(#"{"clip": [1e299, 1e300]}"#, source: src,
                                        duration: .infinity, in: dir)) { error in
            XCTAssertEqual((error as? RedactionError)?.kind, .unsupported, "\(error)")
        }
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
        XCTAssertEqual(left, ["pipe.mkv", (out as NSString).lastPathComponent], "the failed run left nothing")
    }

    /// The index of the source frame `frame` matches best among `candidates`.
    /// Where a derived frame is expected: source frame `frame`, looked for among `near`.
    typealias Expected = (frame: Int, near: ClosedRange<Int>, why: String)

    /// Redacts `clip` (the spec's clip array) of `src`, and checks the derived clip holds `count`
    /// frames, the first and (when given) the last being the source frames expected.
    func assertClip(_ src: String, _ clip: String, frames count: Int, first: Expected, last: Expected? = nil,
                    passthrough: Bool = true, in dir: TemporaryDirectory) throws {
        let (out, result) = try redact(#"{"clip": "# + clip + "}", source: src, in: dir)
        XCTAssertEqual(result.videoFrames, count)
        let source = try MediaMeasure.lumaFrames(src, width: 320, height: 240, in: dir, passthrough: passthrough)
        let got = try MediaMeasure.lumaFrames(out, width: 320, height: 240, in: dir, passthrough: passthrough)
        XCTAssertEqual(got.count, count)
        guard got.count == count else { return }
        XCTAssertEqual(bestMatch(got[0], source, first.near), first.frame, first.why)
        if let last { XCTAssertEqual(bestMatch(got[count - 1], source, last.near), last.frame, last.why) }
    }

    func bestMatch(_ frame: [UInt8], _ source: [[UInt8]], _ candidates: ClosedRange<Int>) -> Int? {
        candidates.filter { $0 >= 0 && $0 < source.count }
            .max { MediaMeasure.psnr(frame, source[$0]) < MediaMeasure.psnr(frame, source[$1]) }
    }

    /// MJPEG in AVI has the time base 1/30: [1.01, 2.01) holds the frames at 31/30 ... 60/30, so it
    /// must not round its ends to the nearest tick (frames 30 ... 59).
    func testCoarseTimeBaseKeepsStartAtOrBeforeFrameBeforeEnd() throws {
        let dir = TemporaryDirectory("redact-coarse")
        let src = try makeSource("cam.avi", seconds: 3, "-c:v mjpeg -q:v 3 OUT", in: dir)
        try assertClip(src, "[1.01, 2.01]", frames: 30, first: (31, 29...33, "the first frame is the one at 1.033 s"),
                       last: (60, 57...62, "the last frame is the one at 2.000 s"), passthrough: false, in: dir)
    }

    /// Spec times count from the recording's start (the container's start time), not from timestamp 0:
    /// this MPEG-TS starts at 301.379 s (audio; video at 301.4 s, i.e. source time 0.0213 s).
    func testTimesCountFromTheStartOfARecordingWithATimestampOffset() throws {
        let dir = TemporaryDirectory("redact-offset")
        let src = try makeSource("offset.ts", seconds: 2, "-f lavfi -i sine=frequency=440:sample_rate=48000:duration=2 "
                                 + "-c:v libx264 -preset ultrafast -threads 1 -c:a aac -ac 1 -output_ts_offset 300 "
                                 + "-f mpegts OUT", in: dir)
        let (out, result) = try redact("""
            {"clip": [0.5, 1.5], "blur": [{"from": 1.0, "to": 2.0, "rect": [0, 0, 160, 120],
             "style": "black"}], "mute": [{"from": 1.0, "to": 1.5}]}
            """, source: src, in: dir)
        // Video frame k is at source time 0.0213 + k/30: frames 15 ... 44 are in [0.5, 1.5).
        XCTAssertEqual(result.videoFrames, 30)
        let frames = try MediaMeasure.lumaFrames(out, width: 320, height: 240, in: dir, passthrough: true)
        XCTAssertEqual(frames.count, 30)
        let box = MediaMeasure.Box(x: 2, y: 2, w: 156, h: 116)
        for (i, frame) in frames.enumerated() {
            // Frame 30 (output 15) at 1.0213 s is the first in the region's window.
            let mean = MediaMeasure.mean(box.pixels(frame, width: 320))
            if i < 15 {
                XCTAssertGreaterThan(mean, 40, "output frame \(i) is before the region")
            } else {
                XCTAssertLessThan(mean, 20, "output frame \(i) is in the region")
            }
        }
        let samples = try MediaMeasure.monoSamples(out, in: dir)
        XCTAssertGreaterThan(MediaMeasure.dBFS(samples, rate: 48000, from: 0.05, to: 0.45), -30)
        XCTAssertLessThan(MediaMeasure.dBFS(samples, rate: 48000, from: 0.52, to: 0.98), -80)
    }

    /// MPEG-TS has no keyframe index: a seek lands on any packet, and the decoder drops frames until
    /// the next keyframe. Keyframes are at 0, 1, 2 s here; [0.85, 1.55) holds frames 26 ... 46.
    func testClipOfAStreamWithoutKeyframeIndexKeepsItsFirstFrames() throws {
        let dir = TemporaryDirectory("redact-tsseek")
        let src = try makeSource("gop.ts", seconds: 3, "-c:v libx264 -preset ultrafast -threads 1 -g 30 "
                                 + "-f mpegts OUT", in: dir)
        try assertClip(src, "[0.85, 1.55]", frames: 21, first: (26, 24...30, "the first frame is the one at 0.867 s"),
                       last: (46, 43...48, "the last frame is the one at 1.533 s"), in: dir)
    }

    /// With B-frames a TS's video decode timestamps start before the recording's start time, so a seek
    /// to that time landed after the first keyframe: a clip near the start lost its frames (or all).
    /// [0.1, 1.0) holds frames 3 ... 29.
    func testClipNearTheStartOfATransportStreamWithBFramesKeepsItsFrames() throws {
        let dir = TemporaryDirectory("redact-tsbframes")
        let src = try makeSource("bframes.ts", seconds: 2, "-c:v libx264 -preset veryfast -bf 2 -threads 1 -g 60 "
                                 + "-f mpegts OUT", in: dir)
        try assertClip(src, "[0.1, 1.0]", frames: 27, first: (3, 0...8, "the first frame is the one at 0.1 s"), in: dir)
    }

    /// Audio with a timestamp gap (packets lost from 1.003 s to 1.515 s): the gap becomes silence and
    /// the audio after it stays at its own time, so a mute lands on the samples it names.
    func testAudioTimestampGapIsFilledAndMutesLandOnTheirSamples() throws {
        let dir = TemporaryDirectory("redact-gap")
        let src = try makeSource("gap.mkv", seconds: 3, "-f lavfi -i sine=frequency=440:sample_rate=48000:duration=3 "
                                 + "-af \"aselect='not(between(t,1.0,1.5))'\" "
                                 + "-c:v libx264 -preset ultrafast -threads 1 -c:a pcm_s16le -f matroska OUT", in: dir)
        let (out, result) = try redact(#"{"mute": [{"from": 2.0, "to": 2.5}]}"#, source: src, in: dir)
        // 3 s, to within MKV's 1 ms timestamps (the frame after the gap is stamped 1.515 s, not 1.51467 s).
        XCTAssertEqual(Double(result.audioSamples), 144_000, accuracy: 48)
        let samples = try MediaMeasure.monoSamples(out, in: dir)
        func level(_ from: Double, _ to: Double) -> Double {
            MediaMeasure.dBFS(samples, rate: 48000, from: from, to: to)
        }
        XCTAssertGreaterThan(level(0.05, 0.95), -30, "before the gap")
        XCTAssertLessThan(level(1.03, 1.49), -80, "the gap is silence")
        XCTAssertGreaterThan(level(1.55, 1.95), -30, "after the gap, before the mute")
        XCTAssertLessThan(level(2.02, 2.48), -80, "the mute")
        XCTAssertGreaterThan(level(2.55, 2.95), -30, "after the mute")
    }

    func testTicksNeverTrap() {
        XCTAssertEqual(Ticks.clamped(.infinity), .max)
        XCTAssertEqual(Ticks.clamped(-.infinity), .min)
        XCTAssertEqual(Ticks.clamped(.nan), 0)
        XCTAssertEqual(Ticks.clamped(1e300), .max)
        XCTAssertEqual(Ticks.nearest(1.5, perSecond: 30), 45)
        XCTAssertEqual(Ticks.atOrAfter(1.01, perSecond: 30), 31)
        XCTAssertEqual(Ticks.atOrAfter(8.3, perSecond: 30), 249, "8.3 * 30 is 249.00000000000003")
        XCTAssertEqual(Ticks.atOrAfter(4.1, perSecond: 30), 123)
        XCTAssertEqual(Ticks.atOrAfter(1e300, perSecond: 30), .max)
        XCTAssertEqual(Ticks.add(.max - 1, 5), .max)
        XCTAssertEqual(Ticks.add(.min + 1, -5), .min)
        XCTAssertEqual(Ticks.subtract(.min + 1, 5), .min)
        XCTAssertEqual(Ticks.subtract(.max - 1, -5), .max)
        XCTAssertEqual(Ticks.subtract(7, 5), 2)
    }
}
