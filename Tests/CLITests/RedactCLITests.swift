import Foundation
import TestSupport
import XCTest

/// `custody redact` through the built binary.
final class RedactCLITests: CLITestCase {
    override var officers: [String: String] { ["PC-4471": "evidence-officer"] }
    let spec = TestPaths.fixture("redaction-spec.json")

    func ingestFixtures(_ names: [String]) throws -> [[String: Any]] {
        try XCTUnwrap(json(try custody(["ingest"] + names.map(TestPaths.fixture) + ["--device", "BW2-000417", "--json"],
                                       actor: "PC-4471")) as? [[String: Any]])
    }

    func sha256(_ path: String) throws -> String {
        String(try runProcess(try XCTUnwrap(which("sha256sum")), [path]).stdout.prefix(64))
    }

    /// An exhibit that does not exist is a refused attempt, recorded, as for `show` and `export`.
    func testRedactOfAnUnknownExhibitIsRecordedAsRefused() throws {
        _ = try ingestFixtures(["bodycam-b.mp4"])
        let r = try custody(["redact", "EX-000042", "--spec", spec, "--reason", "CPS 17"], actor: "PC-4471")
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("no exhibit EX-000042; `custody list` shows the catalog"), r.stderr)
        XCTAssertEqual(try eventRows().last, "redact|refused|")
    }

    func testRedactEndToEnd() throws {
        let parent = try ingestFixtures(["bodycam-a.mp4"])[0]
        let args = ["redact", "EX-000001", "--spec", spec, "--reason", "CPS 17", "--json"]
        let made = try XCTUnwrap(json(try custody(args, actor: "PC-4471")) as? [String: Any])
        XCTAssertEqual(made["id"] as? String, "EX-000002")
        XCTAssertEqual(made["parent"] as? String, parent["sha256"] as? String)
        XCTAssertEqual(made["spec_sha256"] as? String, try sha256(spec))
        XCTAssertEqual(made["duplicate"] as? Bool, false)

        let again = try XCTUnwrap(json(try custody(args, actor: "PC-4471")) as? [String: Any])
        XCTAssertEqual(again["duplicate"] as? Bool, true)
        XCTAssertEqual(again["sha256"] as? String, made["sha256"] as? String)

        let shown = try XCTUnwrap(json(try custody(["show", "EX-000002", "--json"], actor: "PC-4471"))
                                  as? [String: Any])
        XCTAssertEqual(shown["parent_sha256"] as? String, parent["sha256"] as? String)
        XCTAssertEqual(shown["spec_sha256"] as? String, try sha256(spec))
        XCTAssertEqual(shown["parent"] as? String, "EX-000001")
        XCTAssertEqual(shown["officer"] as? String, "PC-4471")
        let parentShown = try XCTUnwrap(json(try custody(["show", "EX-000001", "--json"], actor: "PC-4471"))
                                        as? [String: Any])
        XCTAssertEqual((parentShown["derived"] as? [[String: Any]])?.first?["id"] as? String, "EX-000002")

        let log = try XCTUnwrap(json(try custody(["ledger", "log", "EX-000001", "--json"])) as? [[String: Any]])
        let redactions = log.filter { $0["action"] as? String == "redact" }
        XCTAssertEqual(redactions.count, 2, "one per run, each before the original was read")
        XCTAssertEqual(redactions.first?["reason"] as? String, "CPS 17")
        XCTAssertTrue(try eventRows().contains("redact|ok|EX-000002"))

        let verify = try XCTUnwrap(json(try custody(["verify", "--json"], actor: "PC-4471")) as? [String: Any])
        XCTAssertEqual(verify["intact"] as? Bool, true)
        let out = dir.file("derived.mp4")
        let export = try custody(["export", "EX-000002", "--out", out, "--reason", "check"], actor: "PC-4471")
        XCTAssertEqual(export.status, 0, export.stderr)
        let probe = try runProcess(try XCTUnwrap(which("ffprobe")), ["-v", "error", "-count_frames", "-select_streams",
                                   "v:0", "-show_entries", "stream=codec_name,nb_read_frames", "-of", "csv=p=0", out])
        XCTAssertEqual(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "h264,90")
        XCTAssertEqual(try sha256(out), made["sha256"] as? String)
    }

    /// The derived bytes do not depend on what the process's heap held: glibc's `MALLOC_PERTURB_` fills
    /// every fresh allocation with 0xfe (1) or 0xaa (85). x264's MB-tree read such memory, so the first
    /// frames came out differently after other work in the same process.
    func testTheBytesDoNotDependOnTheHeapsContents() throws {
        _ = try ingestFixtures(["bodycam-a.mp4"])
        var made = [String]()
        for perturb in ["0", "1", "85"] {
            let r = try runProcess(TestPaths.custodyBinary, ["redact", "EX-000001", "--spec", spec, "--reason", "r",
                                                             "--json"],
                                   environment: ["CUSTODY_DATA": data, "CUSTODY_ACTOR": "PC-4471",
                                                 "MALLOC_PERTURB_": perturb])
            let result = try XCTUnwrap(json(r) as? [String: Any])
            made.append(try XCTUnwrap(result["sha256"] as? String))
        }
        XCTAssertEqual(Set(made).count, 1, "MALLOC_PERTURB_ 0, 1, 85 gave \(made)")
    }

    func testUnreadableExhibitMissingActorAndBadSpecAreRefused() throws {
        _ = try ingestFixtures(["truncated.mp4", "bodycam-b.mp4"])
        let unreadable = try custody(["redact", "EX-000001", "--spec", spec, "--reason", "r"], actor: "PC-4471")
        XCTAssertEqual(unreadable.status, 2)
        XCTAssertTrue(unreadable.stderr.contains("EX-000001 is unreadable"), unreadable.stderr)
        let noActor = try custody(["redact", "EX-000002", "--spec", spec, "--reason", "r"], actor: nil)
        XCTAssertEqual(noActor.status, 2)
        XCTAssertTrue(noActor.stderr.contains("acting officer"), noActor.stderr)
        // bodycam-b is 3 s long: the fixture spec's clip ends at 3.5 s.
        let tooLong = try custody(["redact", "EX-000002", "--spec", spec, "--reason", "r"], actor: "PC-4471")
        XCTAssertEqual(tooLong.status, 2)
        XCTAssertTrue(tooLong.stderr.contains("clip[1]: 3.5 s is past the end"), tooLong.stderr)
        let noReason = try custody(["redact", "EX-000002", "--spec", spec], actor: "PC-4471")
        XCTAssertEqual(noReason.status, 2)
        let rows = try eventRows()
        XCTAssertTrue(rows.contains("redact|refused|EX-000001"), "\(rows)")
        XCTAssertEqual(rows.filter { $0 == "redact|refused|EX-000002" }.count, 2, "\(rows)")
        XCTAssertEqual(try XCTUnwrap(json(try custody(["list", "--json"])) as? [Any]).count, 2, "nothing derived")
    }

    /// A spec that cannot be read says why; malformed JSON says where.
    func testUnreadableAndMalformedSpecsSayWhyAndWhere() throws {
        _ = try ingestFixtures(["bodycam-a.mp4"])
        let missing = try custody(["redact", "EX-000001", "--spec", dir.file("missing.json"), "--reason", "r"],
                                  actor: "PC-4471")
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("cannot read the spec \(dir.file("missing.json")): no such file"),
                      missing.stderr)
        let folder = try custody(["redact", "EX-000001", "--spec", dir.path, "--reason", "r"], actor: "PC-4471")
        XCTAssertTrue(folder.stderr.contains("cannot read the spec \(dir.path): not a regular file"), folder.stderr)
        let bad = dir.file("bad.json")
        try Data("{\n  \"clip\": [0.5, 1.5],\n  \"mute\": [{\"from\": 1 \"to\": 2}]\n}\n".utf8)
            .write(to: URL(fileURLWithPath: bad))
        let malformed = try custody(["redact", "EX-000001", "--spec", bad, "--reason", "r"], actor: "PC-4471")
        XCTAssertEqual(malformed.status, 2)
        XCTAssertTrue(malformed.stderr.contains("not valid JSON: expected ',' or '}' (found '\"') at line 3, column 23"),
                      malformed.stderr)
    }

    /// The reason is given once, with `--reason`, and that is what the ledger records on the source and
    /// on the derived exhibit; a spec that holds a reason of its own is refused (and the refusal recorded).
    func testTheReasonIsTheCommandLinesAndTheLedgerRecordsIt() throws {
        _ = try ingestFixtures(["bodycam-a.mp4"])
        let made = try custody(["redact", "EX-000001", "--spec", spec, "--reason", "CPS 17: bystander"],
                               actor: "PC-4471")
        XCTAssertEqual(made.status, 0, made.stderr)
        let log = try XCTUnwrap(json(try custody(["ledger", "log", "--json"])) as? [[String: Any]])
        let redactions = log.filter { $0["action"] as? String == "redact" }
        XCTAssertEqual(redactions.map { $0["exhibit"] as? String }, ["EX-000001", "EX-000002"])
        XCTAssertEqual(redactions.map { $0["reason"] as? String }, ["CPS 17: bystander", "CPS 17: bystander"])

        let withReason = dir.file("with-reason.json")
        try Data(#"{"reason": "bystander", "clip": [0, 1]}"#.utf8).write(to: URL(fileURLWithPath: withReason))
        let refused = try custody(["redact", "EX-000001", "--spec", withReason, "--reason", "CPS 18"],
                                  actor: "PC-4471")
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("reason: a spec says what to cut, hide and mute, not why: give it with "
                                              + "--reason"), refused.stderr)
        XCTAssertEqual(try eventRows().last, "redact|refused|EX-000001")
    }

    func testCtrlCStopsCleanlyAndStoresNothing() throws {
        // A 60 s source so the redaction is still running when the signal arrives.
        let long = dir.file("long.mp4")
        let make = try runProcess(try XCTUnwrap(which("ffmpeg")), [
            "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30:duration=60",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=60", "-c:v", "libx264",
            "-preset", "ultrafast", "-threads", "1", "-c:a", "aac", "-ac", "1", long])
        XCTAssertEqual(make.status, 0, make.stderr)
        XCTAssertEqual(try custody(["ingest", long, "--device", "BW2-1"], actor: "PC-4471").status, 0)
        try Data(#"{"blur": [{"from": 0, "to": 60, "rect": [0, 0, 160, 120]}]}"#.utf8)
            .write(to: URL(fileURLWithPath: dir.file("spec.json")))

        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestPaths.custodyBinary)
        process.arguments = ["redact", "EX-000001", "--spec", dir.file("spec.json"), "--reason", "r"]
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["CUSTODY_DATA": data, "CUSTODY_ACTOR": "PC-4471"]) { $1 }
        let errPipe = Pipe()
        process.standardError = errPipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Interrupt once the redaction's temp folder exists, i.e. while it decodes and encodes.
        let scratch = dir.file("data/tmp")
        let deadline = Date().addingTimeInterval(20)
        func redacting() -> Bool {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: scratch)) ?? []
            return names.contains { $0.hasSuffix("-redact") }
        }
        while Date() < deadline, process.isRunning, !redacting() {
            usleep(10_000)
        }
        usleep(200_000)
        XCTAssertTrue(process.isRunning, "the redaction finished before it could be interrupted")
        process.interrupt()
        process.waitUntilExit()
        let stderr = String(decoding: errPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(process.terminationStatus, 130, stderr)
        XCTAssertTrue(stderr.contains("interrupted: nothing was stored"), stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch), [], "no temp files left")
        XCTAssertEqual(try XCTUnwrap(json(try custody(["list", "--json"])) as? [Any]).count, 1, "nothing derived")
        XCTAssertEqual(try eventRows().last, "redact|failed|EX-000001")
    }

    /// A source without a duration (MKV written to a pipe): times are unbounded, and neither a huge
    /// clip nor one past the last frame may crash; a failed run is a `failed` event and leaves no temp.
    func testHugeTimesOnASourceWithoutDuration() throws {
        let mkv = dir.file("pipe.mkv")
        let ffmpeg = try XCTUnwrap(which("ffmpeg"))
        let make = try runProcess("/bin/sh", ["-c", "\(ffmpeg) -hide_banner -loglevel error -f lavfi -i "
            + "testsrc2=size=320x240:rate=30:duration=1 -c:v libx264 -preset ultrafast -threads 1 "
            + "-f matroska pipe:1 > \(mkv)"])
        XCTAssertEqual(make.status, 0, make.stderr)
        XCTAssertEqual(try custody(["ingest", mkv, "--device", "BW2-1"], actor: "PC-4471").status, 0)
        let spec = dir.file("spec.json")
        try Data(#"{"clip": [0, 1e300], "mute": [{"from": 0, "to": 1e300}]}"#.utf8)
            .write(to: URL(fileURLWithPath: spec))
        let made = try custody(["redact", "EX-000001", "--spec", spec, "--reason", "r"], actor: "PC-4471")
        XCTAssertEqual(made.status, 0, made.stderr)
        try Data(#"{"clip": [1e299, 1e300]}"#.utf8).write(to: URL(fileURLWithPath: spec))
        let empty = try custody(["redact", "EX-000001", "--spec", spec, "--reason", "r"], actor: "PC-4471")
        XCTAssertEqual(empty.status, 2, empty.stderr)
        XCTAssertTrue(empty.stderr.contains("no video frame of the source falls in the clip"), empty.stderr)
        XCTAssertEqual(try eventRows().last, "redact|failed|EX-000001")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.file("data/tmp")), [])
    }

    /// One damaged packet costs its frame, not the redaction: it is skipped, counted in the output and
    /// in the derived exhibit's custody event.
    func testADamagedPacketIsSkippedAndReported() throws {
        let avi = dir.file("cam.avi")
        let make = try runProcess(try XCTUnwrap(which("ffmpeg")), ["-hide_banner", "-loglevel", "error", "-f", "lavfi",
                                  "-i", "testsrc2=size=320x240:rate=30:duration=1", "-c:v", "mjpeg", avi])
        XCTAssertEqual(make.status, 0, make.stderr)
        XCTAssertEqual(try DamagedMedia.zeroAVIVideoChunks(avi, [10]), 30)
        XCTAssertEqual(try custody(["ingest", avi, "--device", "BW2-1"], actor: "PC-4471").status, 0)
        let spec = dir.file("spec.json")
        try Data(#"{}"#.utf8).write(to: URL(fileURLWithPath: spec))
        let r = try custody(["redact", "EX-000001", "--spec", spec, "--reason", "r", "--json"], actor: "PC-4471")
        let made = try XCTUnwrap(json(r) as? [String: Any])
        XCTAssertEqual(made["damaged_packets_skipped"] as? Int, 1)
        XCTAssertTrue(r.stderr.contains("1 damaged packets of EX-000001 could not be decoded"), r.stderr)
        let log = try XCTUnwrap(json(try custody(["ledger", "log", "EX-000002", "--json"])) as? [[String: Any]])
        let event = try XCTUnwrap(log.first { $0["action"] as? String == "redact" })
        XCTAssertEqual((event["details"] as? [String: Any])?["damaged_packets_skipped"] as? String, "1", "\(event)")
    }

    /// A second audio track is not carried over; the output and the ledger say so.
    func testDroppedStreamsAreReported() throws {
        let mkv = dir.file("two-audio.mkv")
        let make = try runProcess(try XCTUnwrap(which("ffmpeg")), ["-hide_banner", "-loglevel", "error", "-f", "lavfi",
            "-i", "testsrc2=size=320x240:rate=30:duration=1", "-f", "lavfi", "-i", "sine=duration=1", "-f", "lavfi",
            "-i", "sine=frequency=880:duration=1", "-map", "0", "-map", "1", "-map", "2", "-c:v", "libx264",
            "-preset", "ultrafast", "-threads", "1", "-c:a", "flac", mkv])
        XCTAssertEqual(make.status, 0, make.stderr)
        XCTAssertEqual(try custody(["ingest", mkv, "--device", "BW2-1"], actor: "PC-4471").status, 0)
        let spec = dir.file("spec.json")
        try Data(#"{}"#.utf8).write(to: URL(fileURLWithPath: spec))
        let r = try custody(["redact", "EX-000001", "--spec", spec, "--reason", "r", "--json"], actor: "PC-4471")
        let made = try XCTUnwrap(json(r) as? [String: Any])
        XCTAssertEqual(made["dropped_streams"] as? [String], ["#2 audio (flac)"])
        XCTAssertTrue(r.stderr.contains("not in it: #2 audio (flac)"), r.stderr)
        let log = try XCTUnwrap(json(try custody(["ledger", "log", "EX-000002", "--json"])) as? [[String: Any]])
        let event = try XCTUnwrap(log.first { $0["action"] as? String == "redact" })
        XCTAssertEqual((event["details"] as? [String: Any])?["dropped_streams"] as? String, "#2 audio (flac)")
    }

    /// A different spec that gives the same bytes is a duplicate; the result names the spec given,
    /// and the one the stored exhibit was made from.
    func testDuplicateFromADifferentSpecNamesTheSpecGiven() throws {
        _ = try ingestFixtures(["bodycam-a.mp4"])
        let first = dir.file("first.json"), second = dir.file("second.json")
        try Data(#"{"clip": [0, 0.5]}"#.utf8).write(to: URL(fileURLWithPath: first))
        try Data(#"{ "clip": [0, 0.5] }"#.utf8).write(to: URL(fileURLWithPath: second))
        let made = try XCTUnwrap(json(try custody(["redact", "EX-000001", "--spec", first, "--reason", "r", "--json"],
                                                  actor: "PC-4471")) as? [String: Any])
        XCTAssertEqual(made["spec_sha256"] as? String, try sha256(first))
        let again = try XCTUnwrap(json(try custody(["redact", "EX-000001", "--spec", second, "--reason", "r",
                                                    "--json"], actor: "PC-4471")) as? [String: Any])
        XCTAssertEqual(again["duplicate"] as? Bool, true)
        XCTAssertEqual(again["spec_sha256"] as? String, try sha256(second))
        XCTAssertEqual(again["stored_spec_sha256"] as? String, try sha256(first))
        let text = try custody(["redact", "EX-000001", "--spec", second, "--reason", "r"], actor: "PC-4471")
        let earlier = try sha256(first).prefix(12)
        XCTAssertTrue(text.stdout.contains("(already stored: spec \(earlier) made the same bytes)"), text.stdout)
    }

    /// A sideways recording is checked and painted as it is shown (240x320 for 320x240 turned 90 degrees).
    func testASidewaysRecordingIsRedactedAsShown() throws {
        let mp4 = dir.file("sideways.mp4")
        let make = try runProcess(try XCTUnwrap(which("ffmpeg")), ["-hide_banner", "-loglevel", "error", "-f", "lavfi",
            "-i", "testsrc2=size=320x240:rate=30:duration=1", "-c:v", "libx264", "-preset", "ultrafast",
            "-threads", "1", mp4])
        XCTAssertEqual(make.status, 0, make.stderr)
        try SidewaysMedia.turnMP4Clockwise(mp4)
        XCTAssertEqual(try custody(["ingest", mp4, "--device", "BW2-1"], actor: "PC-4471").status, 0)
        let show = try custody(["show", "EX-000001", "--json"], actor: "PC-4471")
        let shown = try XCTUnwrap(json(show) as? [String: Any])
        let video = (shown["media"] as? [String: Any])?["video"] as? [String: Any]
        XCTAssertEqual(video?["rotation"] as? Int, 90, "\(shown)")
        let spec = dir.file("spec.json")
        try Data(#"{"blur": [{"from": 0, "to": 1, "rect": [0, 0, 200, 300]}]}"#.utf8)
            .write(to: URL(fileURLWithPath: spec))
        let r = try custody(["redact", "EX-000001", "--spec", spec, "--reason", "r"], actor: "PC-4471")
        XCTAssertEqual(r.status, 0, r.stderr)
    }
}
