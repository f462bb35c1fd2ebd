import Foundation
import TestSupport
import XCTest

/// Measures media with the ffmpeg and ffprobe CLIs (tests only: custody itself never runs them).
enum MediaMeasure {
    static func tool(_ name: String) throws -> String {
        guard let path = which(name) else { throw XCTSkip("\(name) is not installed") }
        return path
    }

    /// Every frame's luma plane, as `ffmpeg -pix_fmt gray` decodes it (once each, not duplicated to fill
    /// a constant frame rate, with `passthrough`).
    /// `autorotate: false` gives the pictures as stored, whatever the display matrix says.
    static func lumaFrames(_ path: String, width: Int, height: Int, in dir: TemporaryDirectory,
                           passthrough: Bool = false, autorotate: Bool = true) throws -> [[UInt8]] {
        let out = dir.file("luma-\(UUID().uuidString.prefix(8)).gray")
        let r = try runProcess(try tool("ffmpeg"), ["-v", "error"] + (autorotate ? [] : ["-noautorotate"])
                               + ["-i", path, "-map", "0:v:0", "-f", "rawvideo"]
                               + (passthrough ? ["-fps_mode", "passthrough"] : []) + ["-pix_fmt", "gray", "-y", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: out)))
        let size = width * height
        return stride(from: 0, to: bytes.count - size + 1, by: size).map { Array(bytes[$0..<$0 + size]) }
    }

    /// The first audio stream as mono 32-bit float samples at its own rate.
    static func monoSamples(_ path: String, in dir: TemporaryDirectory) throws -> [Float] {
        let out = dir.file("audio-\(UUID().uuidString.prefix(8)).f32")
        let r = try runProcess(try tool("ffmpeg"), ["-v", "error", "-i", path, "-map", "0:a:0", "-f", "f32le",
                                                   "-ac", "1", "-y", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let data = try Data(contentsOf: URL(fileURLWithPath: out))
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    /// `ffprobe -count_frames` of the first video and audio streams, and the format.
    static func probe(_ path: String) throws -> (video: [String: Any], audio: [String: Any]?, format: [String: Any]) {
        let r = try runProcess(try tool("ffprobe"), ["-v", "error", "-count_frames", "-show_streams", "-show_format",
                                                    "-of", "json", path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let streams = try XCTUnwrap(root["streams"] as? [[String: Any]])
        let video = try XCTUnwrap(streams.first { $0["codec_type"] as? String == "video" })
        return (video, streams.first { $0["codec_type"] as? String == "audio" },
                try XCTUnwrap(root["format"] as? [String: Any]))
    }

    /// A rectangle of a luma plane.
    struct Box {
        var x: Int, y: Int, w: Int, h: Int

        /// The box shrunk by `n` pixels on every side (encoder ringing lives at edges).
        func inset(_ n: Int) -> Box { Box(x: x + n, y: y + n, w: w - 2 * n, h: h - 2 * n) }

        func pixels(_ plane: [UInt8], width: Int) -> [UInt8] {
            (y..<y + h).flatMap { r in plane[(r * width + x)..<(r * width + x + w)] }
        }
    }

    static func mean(_ p: [UInt8]) -> Double { Double(p.reduce(0) { $0 + Int($1) }) / Double(max(1, p.count)) }

    static func meanAbsoluteDifference(_ a: [UInt8], _ b: [UInt8]) -> Double {
        Double(zip(a, b).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }) / Double(max(1, a.count))
    }

    /// Peak signal-to-noise ratio in dB for 8-bit samples; 99 for identical inputs.
    static func psnr(_ a: [UInt8], _ b: [UInt8]) -> Double {
        // Raw buffers: whole frames are compared many times, and tests run unoptimised.
        var sum = 0
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                for i in 0..<min(pa.count, pb.count) {
                    let d = Int(pa[i]) - Int(pb[i])
                    sum += d * d
                }
            }
        }
        let mse = Double(sum) / Double(max(1, a.count))
        return mse == 0 ? 99 : 10 * log10(255 * 255 / mse)
    }

    /// RMS level in dBFS of `samples[from..<to]` (seconds at `rate`).
    static func dBFS(_ samples: [Float], rate: Int, from: Double, to: Double) -> Double {
        let a = max(0, Int(from * Double(rate))), b = min(samples.count, Int(to * Double(rate)))
        guard a < b else { return -200 }
        let energy = samples[a..<b].reduce(0.0) { $0 + Double($1) * Double($1) } / Double(b - a)
        return energy == 0 ? -200 : 10 * log10(energy)
    }

    /// Byte offset of the first occurrence of `tag` (e.g. "moov") in the file, or nil.
    static func offset(of tag: String, in path: String) throws -> Int? {
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let needle = [UInt8](tag.utf8)
        return (0...(data.count - needle.count)).first { i in data[i..<i + needle.count].elementsEqual(needle) }
    }
}
