import Foundation
import MediaModel
import TestSupport
import XCTest
@testable import Media

final class MediaProbeTests: XCTestCase {
    func testBodycamClipIsDescribedFully() throws {
        guard case .readable(let info) = MediaProbe.probe(path: TestPaths.fixture("bodycam-a.mp4")) else {
            return XCTFail("bodycam-a.mp4 should be readable")
        }
        XCTAssertTrue(info.container.contains("mp4"), info.container)
        XCTAssertEqual(try XCTUnwrap(info.durationSeconds), 4.0, accuracy: 0.1)
        XCTAssertEqual(info.creationTime, "2026-11-01T09:15:00.000000Z")
        XCTAssertEqual(info.tags["camera_serial"], "BW2-000417")
        XCTAssertEqual(info.tags["camera_model"], "CustodyCam BW-2")
        let video = try XCTUnwrap(info.video)
        XCTAssertEqual(video.codec, "h264")
        XCTAssertEqual([video.width, video.height], [320, 240])
        XCTAssertEqual(try XCTUnwrap(video.frameRate), 30, accuracy: 0.01)
        XCTAssertEqual(video.frames, 120)
        XCTAssertEqual(video.pixelFormat, "yuv420p")
        let audio = try XCTUnwrap(info.audio)
        XCTAssertEqual(audio.codec, "aac")
        XCTAssertEqual(audio.sampleRate, 48000)
        XCTAssertEqual(audio.channels, 1)
        XCTAssertGreaterThan(try XCTUnwrap(info.bitRate), 0)
    }

    func testProbeAgreesWithFfprobe() throws {
        let path = TestPaths.fixture("bodycam-b.mp4")
        guard case .readable(let info) = MediaProbe.probe(path: path) else { return XCTFail("should be readable") }
        let ffprobe = try runProcess(try XCTUnwrap(which("ffprobe")), [
            "-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries",
            "stream=codec_name,width,height,nb_read_frames:format=duration", "-of", "json", path])
        XCTAssertEqual(ffprobe.status, 0, ffprobe.stderr)
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(ffprobe.stdout.utf8)) as? [String: Any])
        let stream = try XCTUnwrap((root["streams"] as? [[String: Any]])?.first)
        XCTAssertEqual(stream["codec_name"] as? String, info.video?.codec)
        XCTAssertEqual(stream["width"] as? Int, info.video?.width)
        XCTAssertEqual(stream["height"] as? Int, info.video?.height)
        XCTAssertEqual((stream["nb_read_frames"] as? String).flatMap(Int64.init), info.video?.frames)
        let duration = try XCTUnwrap(((root["format"] as? [String: Any])?["duration"] as? String).flatMap(Double.init))
        XCTAssertEqual(try XCTUnwrap(info.durationSeconds), duration, accuracy: 0.001)
    }

    func testDamagedAndForeignFilesAreUnreadableWithAReason() {
        for name in ["truncated.mp4", "random.bin"] {
            guard case .unreadable(let reason) = MediaProbe.probe(path: TestPaths.fixture(name)) else {
                XCTFail("\(name) should be unreadable")
                continue
            }
            XCTAssertFalse(reason.isEmpty, name)
        }
        guard case .unreadable(let reason) = MediaProbe.probe(path: "/nonexistent/clip.mp4") else {
            return XCTFail("a missing file should be unreadable")
        }
        XCTAssertTrue(reason.contains("No such file"), reason)
    }

    func testMediaInfoJSONUsesTheDocumentedKeys() throws {
        guard case .readable(let info) = MediaProbe.probe(path: TestPaths.fixture("bodycam-a.mp4")) else {
            return XCTFail("should be readable")
        }
        let data = try JSONEncoder().encode(info)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(Set(object.keys), ["container", "duration", "bit_rate", "creation_time", "tags", "video", "audio"])
        XCTAssertEqual(Set((object["video"] as? [String: Any])?.keys ?? [:].keys),
                       ["codec", "width", "height", "frame_rate", "frames", "pixel_format"])
        XCTAssertEqual(try JSONDecoder().decode(MediaInfo.self, from: data), info)
    }
}
