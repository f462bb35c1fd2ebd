import Foundation
import MediaModel
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
        let (out, result) = try redact(#"{"clip": [1.0, 2.5]}"#, in: dir)
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

    /// Twelve runs, six of them beside a busy thread, give the same bytes: x264's frame threads (and a
    /// threaded lookahead, see `EncoderSettings.x264Params`) finish in another order under load, and that
    /// must not show in the output.
    func testSameSpecGivesByteIdenticalOutput() throws {
        let dir = TemporaryDirectory("redact-repro")
        let specURL = URL(fileURLWithPath: TestPaths.fixture("redaction-spec.json"))
        let spec = String(decoding: try Data(contentsOf: specURL), as: UTF8.self)
        func outputs(_ count: Int) throws -> [Data] {
            try (0..<count).map { _ in
                let path = try redact(spec, in: dir).path
                defer { unlink(path) }
                return try Data(contentsOf: URL(fileURLWithPath: path))
            }
        }
        let quiet = try outputs(6)
        let load = BusyLoad(threads: 1)
        let loaded = try outputs(6)
        load.stop()
        let first = quiet[0]
        for (i, data) in (quiet + loaded).enumerated() {
            XCTAssertEqual(data, first, "run \(i) (\(i < quiet.count ? "quiet" : "under load")) gives other bytes")
        }
        let text = String(decoding: first, as: UTF8.self)
        XCTAssertFalse(text.contains("Lavf"), "no libavformat version string in the file")
        XCTAssertFalse(text.contains("x264 - core"), "no x264 version string in the file")
    }

    /// Without `clip` the whole recording is kept: the audio ends where the source's audio track ends
    /// (its edit list cuts the AAC encoder's padding), not 512 decoded padding samples later.
    func testWithoutClipTheAudioIsExactlyAsLongAsTheSources() throws {
        let dir = TemporaryDirectory("redact-whole")
        let (out, result) = try redact(#"{"mute": [{"from": 1, "to": 2}]}"#, in: dir)
        let source = try MediaMeasure.probe(self.source), derived = try MediaMeasure.probe(out)
        XCTAssertEqual(source.audio?["duration"] as? String, "4.000000")
        XCTAssertEqual(derived.audio?["duration"] as? String, source.audio?["duration"] as? String)
        XCTAssertEqual(derived.video["duration"] as? String, source.video["duration"] as? String)
        XCTAssertEqual(result.audioSamples, 192_000)
        XCTAssertEqual(result.videoFrames, 120)
    }

    func testCancellingRemovesThePartialOutput() throws {
        let dir = TemporaryDirectory("redact-cancel")
        var polls = 0
        XCTAssertThrowsError(try redact(#"{}"#, in: dir, isCancelled: {
            polls += 1
            return polls > 40
        })) { XCTAssertEqual($0 as? RedactionError, .cancelled) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [], "nothing is left behind")
    }

    /// Makes a source with the ffmpeg CLI (measurement and fixtures only; custody links libav*).
    func makeSource(_ name: String, _ args: [String], in dir: TemporaryDirectory) throws -> String {
        let out = dir.file(name)
        let pattern = "testsrc2=size=320x240:rate=30:duration=2"
        let r = try runProcess(try MediaMeasure.tool("ffmpeg"), ["-hide_banner", "-loglevel", "error", "-y",
                                                                "-f", "lavfi", "-i", pattern] + args + [out])
        XCTAssertEqual(r.status, 0, r.stderr)
        return out
    }

    func testSourceWithoutAudio() throws {
        let dir = TemporaryDirectory("redact-noaudio")
        let src = try makeSource("silent.mp4", ["-c:v", "libx264", "-preset", "ultrafast", "-threads", "1"], in: dir)
        let (out, result) = try redact(#"{"clip": [0.5, 1.5], "mute": [{"from": 0.6, "to": 0.9}]}"#,
                                       source: src, in: dir)
        XCTAssertEqual(result.videoFrames, 30)
        XCTAssertEqual(result.audioSamples, 0)
        let (video, audio, _) = try MediaMeasure.probe(out)
        XCTAssertEqual(video["nb_read_frames"] as? String, "30")
        XCTAssertNil(audio, "no audio track is invented")
    }

    func testMJPEGInAVIWithPCMStereo() throws {
        let dir = TemporaryDirectory("redact-mjpeg")
        let src = try makeSource("cam.avi", ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=2",
                                             "-c:v", "mjpeg", "-q:v", "5", "-c:a", "pcm_s16le", "-ac", "2"], in: dir)
        let (out, result) = try redact("""
            {"clip": [0.5, 1.5],
             "blur": [{"from": 0, "to": 2, "rect": [40, 40, 80, 60], "style": "black"}],
             "mute": [{"from": 1.0, "to": 1.5}]}
            """, source: src, in: dir)
        XCTAssertEqual(result.videoFrames, 30)
        XCTAssertEqual(result.audioSamples, 44_100)
        let (video, audio, _) = try MediaMeasure.probe(out)
        XCTAssertEqual(video["codec_name"] as? String, "h264")
        XCTAssertEqual(video["pix_fmt"] as? String, "yuv420p")
        XCTAssertEqual(video["nb_read_frames"] as? String, "30")
        XCTAssertEqual(audio?["codec_name"] as? String, "aac")
        XCTAssertEqual(audio?["sample_rate"] as? String, "44100")
        XCTAssertEqual(audio?["channels"] as? Int, 2)
        let frames = try MediaMeasure.lumaFrames(out, width: 320, height: 240, in: dir)
        let box = MediaMeasure.Box(x: 42, y: 42, w: 76, h: 56)
        XCTAssertLessThan(MediaMeasure.mean(box.pixels(frames[15], width: 320)), 20)
        let samples = try MediaMeasure.monoSamples(out, in: dir)
        XCTAssertLessThan(MediaMeasure.dBFS(samples, rate: 44100, from: 0.525, to: 0.975), -80)
        XCTAssertGreaterThan(MediaMeasure.dBFS(samples, rate: 44100, from: 0.05, to: 0.475), -30)
    }

    func testHEVCSource() throws {
        let dir = TemporaryDirectory("redact-hevc")
        let src = try makeSource("hevc.mp4", ["-t", "1", "-c:v", "libx265", "-preset", "ultrafast",
                                              "-x265-params", "log-level=error:pools=1:frame-threads=1"], in: dir)
        let (out, result) = try redact(#"{"clip": [0.2, 0.8]}"#, source: src, in: dir)
        XCTAssertEqual(result.videoFrames, 18)
        XCTAssertEqual(try MediaMeasure.probe(out).video["codec_name"] as? String, "h264")
    }

    func testVariableFrameRateKeepsItsTimestamps() throws {
        let dir = TemporaryDirectory("redact-vfr")
        // 30 fps for the first second, then 15 fps.
        let src = try makeSource("vfr.mp4", ["-vf", "setpts='if(lt(N,30),N/30,1+(N-30)/15)/TB'",
                                             "-fps_mode", "passthrough", "-c:v", "libx264", "-preset", "ultrafast",
                                             "-threads", "1"], in: dir)
        let (out, result) = try redact(#"{"clip": [0.5, 2.0]}"#, source: src, in: dir)
        XCTAssertEqual(result.videoFrames, 30, "15 frames in [0.5, 1.0) at 30 fps, 15 in [1.0, 2.0) at 15 fps")
        let r = try runProcess(try MediaMeasure.tool("ffprobe"), ["-v", "error", "-select_streams", "v:0",
                                                                  "-show_entries",
                                                                  "frame=pts_time", "-of", "csv=p=0", out])
        // The first frame's line carries an extra (side data) field: take the first one.
        let times = r.stdout.split(separator: "\n").compactMap { line in
            line.split(separator: ",").first.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        }
        XCTAssertEqual(times.count, 30)
        XCTAssertEqual(times.first ?? -1, 0, accuracy: 0.001)
        XCTAssertEqual(times[15], 0.5, accuracy: 0.001, "the 15 fps part starts at source 1.0 s")
        XCTAssertEqual(times.last ?? -1, 1.5 - 1.0 / 15, accuracy: 0.001)
    }

    func testOddFrameSizeFailsWithAClearError() throws {
        let dir = TemporaryDirectory("redact-odd")
        let src = try makeSource("odd.mkv", ["-t", "0.5", "-vf", "format=rgb24,crop=319:239", "-c:v", "ffv1"], in: dir)
        XCTAssertThrowsError(try redact(#"{}"#, source: src, in: dir)) { error in
            XCTAssertEqual((error as? RedactionError)?.kind, .unsupported)
            XCTAssertTrue("\(error)".contains("319x239; H.264 4:2:0 needs an even width and height"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["odd.mkv"])
    }

    func testTrimOfABFrameSourceMidGOPIsFrameAccurate() throws {
        let dir = TemporaryDirectory("redact-bframes")
        // B-frames (reordering) and 2 s GOPs: the cut at 1.1 s is 33 frames into a GOP, reached by a seek.
        let src = try makeSource("bframes.mp4", ["-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-bf", "3",
                                                 "-threads", "1"], in: dir)
        let (out, result) = try redact(#"{"clip": [1.1, 1.7]}"#, source: src, in: dir)
        XCTAssertEqual(result.videoFrames, 18)
        let source = try MediaMeasure.lumaFrames(src, width: 320, height: 240, in: dir)
        let got = try MediaMeasure.lumaFrames(out, width: 320, height: 240, in: dir)
        XCTAssertEqual(got.count, 18)
        for (i, frame) in got.enumerated() {
            // The best match among the source frames two either side of the expected one.
            let candidates = (31 + i)...(35 + i)
            let scores = candidates.map { (frame: $0, psnr: MediaMeasure.psnr(frame, source[$0])) }
            let best = scores.max { $0.psnr < $1.psnr }?.frame
            XCTAssertEqual(best, 33 + i, "output frame \(i) is source frame \(33 + i)")
        }
    }
}
