import Foundation
import TestSupport
import XCTest

/// What ingest, init and device commands say, and what they record, in the cases a new user meets.
final class IngestReportCLITests: CLITestCase {
    /// Reasons of the refused events of `action`, oldest first, via the sqlite3 CLI.
    func refusedReasons(_ action: String = "ingest") throws -> [String] {
        try sqliteLines("SELECT actor_kind || ':' || actor || '|' || reason FROM events "
                        + "WHERE action = '\(action)' AND outcome = 'refused' ORDER BY seq")
    }

    func testEveryRefusedIngestCommandLineIsRecorded() throws {
        let file = TestPaths.fixture("bodycam-b.mp4")
        let lines: [[String]] = [
            [file, "--device", "D1", "--chunk-size", "1000"],
            [file, "--device", "not a device"],
            [file, "--device", "D1", "--captured-at", "yesterday"],
            [file],
            ["--device", "D1"],
            [file, "--device", "D1", "--bogus"],
        ]
        for args in lines {
            let r = try custody(["ingest"] + args, actor: "PC-1")
            XCTAssertEqual(r.status, 2, "\(args)")
        }
        let notUTF8 = try runProcess("/bin/sh", ["-c", "exec \"$0\" ingest \"$(printf 'caf\\351.mp4')\" --device D1 "
                                                 + "--data \"$1\" --as PC-1", TestPaths.custodyBinary, data])
        XCTAssertEqual(notUTF8.status, 2)
        XCTAssertTrue(notUTF8.stderr.contains("argument 2 is not valid UTF-8"), notUTF8.stderr)
        let reasons = try refusedReasons()
        guard reasons.count == lines.count + 1 else {
            return XCTFail("\(reasons.count) refusals recorded:\n\(reasons.joined(separator: "\n"))")
        }
        XCTAssertTrue(reasons.allSatisfy { $0.hasPrefix("officer:PC-1|") }, reasons.joined(separator: "\n"))
        for (i, expected) in ["--chunk-size", "--device must be", "--captured-at yesterday", "missing --device",
                              "missing FILE", "unknown option --bogus", "not valid UTF-8"].enumerated() {
            XCTAssertTrue(reasons[i].contains(expected), "\(reasons[i]) lacks \(expected)")
        }
        XCTAssertEqual((try json(try custody(["list", "--json"])) as? [Any])?.count, 0, "nothing stored")
        // Without a vault there is nothing to record in, and the refusal stands.
        XCTAssertEqual(try runProcess(TestPaths.custodyBinary, ["ingest", file, "--device", "a b", "--data",
                                                                dir.file("nowhere"), "--as", "PC-1"]).status, 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("nowhere")))
    }

    func testRefusedShowExportAndRedactCommandLinesAreRecorded() throws {
        let ingest = try custody(["ingest", TestPaths.fixture("bodycam-a.mp4"), "--device", "D1"], actor: "PC-1")
        XCTAssertEqual(ingest.status, 0, ingest.stderr)
        let out = dir.file("out.mp4")
        for (action, args, expected) in [
            ("export", ["export", "EX-000001", "--out", out], "missing --reason"),
            ("export", ["export", "EX-000001", "--reason", "CPS 1"], "missing --out"),
            ("export", ["export", "EX-000001", "--out", out, "--reason", "CPS 1", "--bogus"], "unknown option --bogus"),
            ("view", ["show"], "missing <EXHIBIT>"),
            ("view", ["show", "EX-000001", "--bogus"], "unknown option --bogus"),
            ("redact", ["redact", "EX-000001", "--spec", TestPaths.fixture("redaction-spec.json")], "missing --reason"),
            ("redact", ["redact", "EX-000001", "--reason", "CPS 1"], "missing --spec"),
        ] {
            let before = try refusedReasons(action).count
            let r = try custody(args, actor: "PC-1")
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            let reasons = try refusedReasons(action)
            XCTAssertEqual(reasons.count, before + 1, "\(args) recorded \(reasons)")
            XCTAssertTrue(reasons.last?.hasPrefix("officer:PC-1|") == true, "\(reasons)")
            XCTAssertTrue(reasons.last?.contains(expected) == true, "\(reasons.last ?? "") lacks \(expected)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    func testADuplicateUnreadableFileIsOneCoherentLine() throws {
        let file = TestPaths.fixture("truncated.mp4")
        let first = try custody(["ingest", file, "--device", "D1"], actor: "PC-1")
        XCTAssertTrue(first.stdout.contains("(stored, flagged unreadable: "), first.stdout)
        let again = try custody(["ingest", file, "--device", "D1"], actor: "PC-1")
        XCTAssertEqual(again.status, 0, again.stderr)
        let lines = again.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, again.stdout)
        XCTAssertTrue(lines[0].contains("(already in the vault: nothing new stored; flagged unreadable: "),
                      again.stdout)
        XCTAssertFalse(lines[0].contains("stored, flagged"), again.stdout)
        XCTAssertEqual(lines[0].filter { $0 == "(" }.count - lines[0].filter { $0 == ")" }.count, 0)
    }

    func testAChunkRepairedByAReIngestIsReportedInTextAndJSON() throws {
        let file = TestPaths.fixture("bodycam-a.mp4")
        XCTAssertEqual(try custody(["ingest", file, "--device", "BW2-000417", "--chunk-size", "65536"],
                                   actor: "PC-1").status, 0)
        let third = "head -c \(3 << 16) '\(file)' | tail -c \(1 << 16) | sha256sum"
        let name = String(try runProcess("/bin/sh", ["-c", third]).stdout.prefix(64))
        let chunk = dir.file("data/chunks/\(name.prefix(2))/\(name)")
        func damage() throws {
            XCTAssertEqual(chmod(chunk, 0o644), 0)
            var bytes = try Data(contentsOf: URL(fileURLWithPath: chunk))
            bytes[100] ^= 0x01
            try bytes.write(to: URL(fileURLWithPath: chunk))
        }
        try damage()
        let text = try custody(["ingest", file, "--device", "BW2-000417", "--chunk-size", "65536"], actor: "PC-1")
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertEqual(text.stdout.split(separator: "\n").count, 1, text.stdout)
        XCTAssertTrue(text.stdout.contains("already in the vault: nothing new stored; repaired 1 damaged chunk of the "
                                           + "stored copy"), text.stdout)
        try damage()
        let report = try XCTUnwrap(json(try custody(["ingest", file, "--device", "BW2-000417", "--chunk-size", "65536",
                                                     "--json"], actor: "PC-1")) as? [[String: Any]])
        XCTAssertEqual(report.first?["repaired_chunks"] as? [String], [name])
        let clean = try XCTUnwrap(json(try custody(["ingest", file, "--device", "BW2-000417", "--json"],
                                                   actor: "PC-1")) as? [[String: Any]])
        XCTAssertEqual(clean.first?["repaired_chunks"] as? [String], [])
        XCTAssertEqual(try custody(["verify"], actor: "PC-1").status, 0)
    }

    func testADeviceThatIsNotTheFilesCameraIsWarnedAndBothAreKept() throws {
        // bodycam-b.mp4's camera_serial tag is BW2-000982.
        let file = TestPaths.fixture("bodycam-b.mp4")
        let r = try custody(["ingest", file, "--device", "BW2-000417", "--json"], actor: "PC-1")
        let report = try XCTUnwrap(json(r) as? [[String: Any]])
        let warnings = try XCTUnwrap(report.first?["warnings"] as? [String])
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings[0].contains("BW2-000982") && warnings[0].contains("BW2-000417"), warnings[0])
        XCTAssertTrue(r.stderr.contains("warning: \(warnings[0])"), r.stderr)
        let shown = try custody(["show", "EX-000001"], actor: "PC-1").stdout
        XCTAssertTrue(shown.contains("Device") && shown.contains("BW2-000417"), shown)
        XCTAssertTrue(shown.contains("camera_serial") && shown.contains("BW2-000982"), shown)
        // Its own camera, in text mode: no warning.
        let same = try custody(["ingest", TestPaths.fixture("bodycam-a.mp4"), "--device", "BW2-000417"], actor: "PC-1")
        XCTAssertEqual(same.status, 0, same.stderr)
        XCTAssertFalse(same.stderr.contains("warning"), same.stderr)
        let other = try custody(["ingest", file, "--device", "dock-7"], actor: "PC-1")
        XCTAssertTrue(other.stderr.contains("warning: ") && other.stderr.contains("dock-7"), other.stderr)
    }

    func testInitRefusesToChangeTheOrganisation() throws {
        let changed = try custody(["init", "--org", "other.org"])
        XCTAssertEqual(changed.status, 2)
        XCTAssertTrue(changed.stderr.contains("organisation is testforce"), changed.stderr)
        XCTAssertEqual(try custody(["init", "--org", "testforce"]).status, 0)
        let info = try XCTUnwrap(json(try custody(["init", "--json"])) as? [String: Any])
        XCTAssertEqual(info["org"] as? String, "testforce")
        XCTAssertEqual(info["origin"] as? String, "testforce/custody")
    }

    func testInitSetsAndChangesThePublicURLOfLinks() throws {
        var info = try XCTUnwrap(json(try custody(["init", "--json"])) as? [String: Any])
        XCTAssertEqual(info["public_url"] as? String, "http://127.0.0.1:8080", "the default")
        for bad in ["ftp://evidence.example", "evidence.example", "https://", "https://x.example/?a=b",
                    "https://user@x.example"] {
            let refused = try custody(["init", "--public-url", bad])
            XCTAssertEqual(refused.status, 2, bad)
            XCTAssertTrue(refused.stderr.contains("--public-url must be an http(s) URL"), refused.stderr)
        }
        XCTAssertEqual(try custody(["init", "--public-url", "https://evidence.example.police.uk/"]).status, 0)
        info = try XCTUnwrap(json(try custody(["init", "--json"])) as? [String: Any])
        XCTAssertEqual(info["public_url"] as? String, "https://evidence.example.police.uk")
        let text = try custody(["init", "--public-url", "http://10.0.0.5:8080"])
        XCTAssertTrue(text.stdout.contains("Download links start with http://10.0.0.5:8080"), text.stdout)
        XCTAssertEqual(try refusedEvents(), [], "a supervisor may")
        XCTAssertTrue(try eventRows().contains("key|ok|"), "each change is recorded")
        // Where every link points from now on is a supervisor's to change: anyone else is refused and
        // recorded, and the address stays.
        try addOfficer("PC-7", role: "officer")
        for actor in ["PC-7", "nobody-registered"] {
            let refused = try custody(["init", "--public-url", "https://attacker.example"], actor: actor)
            XCTAssertEqual(refused.status, 2, refused.stderr)
        }
        XCTAssertEqual(try custody(["init", "--public-url", "https://attacker.example"], actor: nil).status, 2)
        let refusals = try refusedEvents()
        XCTAssertEqual(refusals.count, 3, "\(refusals)")
        info = try XCTUnwrap(json(try custody(["init", "--json"])) as? [String: Any])
        XCTAssertEqual(info["public_url"] as? String, "http://10.0.0.5:8080")
    }

    func testDeviceRevokeTakesJSONAndSaysWhyItRefuses() throws {
        XCTAssertEqual(try custody(["device", "add", "dock-1"], actor: "PC-1").status, 0)
        let revoked = try XCTUnwrap(json(try custody(["device", "revoke", "dock-1", "--json"], actor: "PC-1"))
                                    as? [String: Any])
        XCTAssertEqual(revoked["device"] as? String, "dock-1")
        let at = try XCTUnwrap(revoked["revoked_at"] as? String)
        let again = try custody(["device", "revoke", "dock-1"], actor: "PC-1")
        XCTAssertEqual(again.status, 2)
        XCTAssertTrue(again.stderr.contains("device dock-1 is already revoked (since \(at))"), again.stderr)
        let unknown = try custody(["device", "revoke", "dock-9"], actor: "PC-1")
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.stderr.contains("unknown device dock-9"), unknown.stderr)
        XCTAssertEqual(try eventRows().suffix(3), ["device|ok|", "device|refused|", "device|refused|"])
    }
}
