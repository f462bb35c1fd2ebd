import Foundation
import TestSupport
import XCTest

final class EvidenceCLITests: CLITestCase {
    override var officers: [String: String] { ["PC-4471": "evidence-officer"] }
    func testIngestListShowExportVerifyEndToEnd() throws {
        let files = ["bodycam-a.mp4", "bodycam-b.mp4", "truncated.mp4", "random.bin"].map(TestPaths.fixture)
        let ingested = try XCTUnwrap(json(try custody(["ingest"] + files + ["--device", "BW2-000417", "--json"],
                                                      actor: "PC-4471")) as? [[String: Any]])
        XCTAssertEqual(ingested.count, 4)
        let sums = try runProcess(which("sha256sum")!, files).stdout
        for (i, entry) in ingested.enumerated() {
            let sha = try XCTUnwrap(entry["sha256"] as? String)
            XCTAssertTrue(sums.contains("\(sha)  \(files[i])"), "\(files[i]) hash differs from sha256sum")
            XCTAssertEqual(entry["duplicate"] as? Bool, false)
            XCTAssertNotNil(entry["id"] as? String)
            XCTAssertEqual(entry["size"] as? Int, try FileManager.default.attributesOfItem(atPath: files[i])[.size] as? Int)
        }
        XCTAssertEqual(ingested[2]["status"] as? String, "unreadable")
        XCTAssertEqual(ingested[3]["status"] as? String, "unreadable")

        let again = try XCTUnwrap(json(try custody(["ingest", files[0], "--device", "BW2-000417", "--json"],
                                                   actor: "PC-4471")) as? [[String: Any]])
        XCTAssertEqual(again.first?["duplicate"] as? Bool, true)
        XCTAssertEqual(again.first?["id"] as? String, ingested[0]["id"] as? String)

        let list = try XCTUnwrap(json(try custody(["list", "--json"])) as? [[String: Any]])
        XCTAssertEqual(list.map { $0["id"] as? String }, ingested.map { $0["id"] as? String })
        let text = try custody(["list"])
        XCTAssertTrue(text.stdout.contains("bodycam-b.mp4"))

        let prefix = String((ingested[1]["sha256"] as! String).prefix(10))
        let shown = try XCTUnwrap(json(try custody(["show", prefix, "--json"], actor: "PC-4471")) as? [String: Any])
        XCTAssertEqual(shown["id"] as? String, ingested[1]["id"] as? String)
        XCTAssertEqual(shown["device"] as? String, "BW2-000417")
        XCTAssertEqual(shown["officer"] as? String, "PC-4471")
        let unreadable = try XCTUnwrap(json(try custody(["show", ingested[3]["id"] as! String, "--json"],
                                                        actor: "PC-4471")) as? [String: Any])
        XCTAssertEqual(unreadable["status"] as? String, "unreadable")
        XCTAssertNotNil(unreadable["unreadable_reason"] as? String)

        let out = dir.file("export.mp4")
        let export = try custody(["export", ingested[0]["id"] as! String, "--out", out, "--reason", "CPS file 7"],
                                 actor: "PC-4471")
        XCTAssertEqual(export.status, 0, export.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), try Data(contentsOf: URL(fileURLWithPath: files[0])))

        let verify = try custody(["verify", "--json"], actor: "PC-4471")
        let report = try XCTUnwrap(json(verify) as? [String: Any])
        XCTAssertEqual(report["intact"] as? Bool, true)
        XCTAssertEqual(report["exhibits"] as? Int, 4)

        let rows = try eventRows()
        XCTAssertEqual(rows.first, "init|ok|")
        XCTAssertTrue(rows.contains("export|ok|\(ingested[0]["id"] as! String)"))
        XCTAssertTrue(rows.contains("view|ok|\(ingested[1]["id"] as! String)"))
        XCTAssertEqual(rows.last, "verify|ok|")
    }

    func testFlippedByteInStoredChunkFailsVerifyAndExport() throws {
        let file = TestPaths.fixture("bodycam-a.mp4")
        let r = try XCTUnwrap(json(try custody(["ingest", file, "--device", "D1", "--chunk-size", "65536", "--json"],
                                               actor: "PC-1")) as? [[String: Any]])
        let id = r[0]["id"] as! String
        // Damage the third chunk on disk: chunk names are the SHA-256 of 64 KiB slices of the file.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        let slice = bytes[(2 << 16)..<(3 << 16)]
        let name = try runProcess("/bin/sh", ["-c", "head -c \(3 << 16) '\(file)' | tail -c \(1 << 16) | sha256sum"])
            .stdout.prefix(64)
        XCTAssertEqual(slice.count, 1 << 16)
        try damageChunk(name, at: 12345)

        let verify = try custody(["verify"], actor: "PC-1")
        XCTAssertEqual(verify.status, 1)
        XCTAssertTrue(verify.stdout.contains("DAMAGED  \(id)"), verify.stdout)
        XCTAssertTrue(verify.stdout.contains(String(name)), verify.stdout)

        let out = dir.file("x.mp4")
        let export = try custody(["export", id, "--out", out, "--reason", "test"], actor: "PC-1")
        XCTAssertEqual(export.status, 1)
        XCTAssertTrue(export.stderr.contains("\(id) chunk 2"), export.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        XCTAssertTrue(try eventRows().contains("export|failed|\(id)"))
    }

    func testRefusesWithoutActorAndRecordsTheAttempt() throws {
        let r = try custody(["ingest", TestPaths.fixture("bodycam-b.mp4"), "--device", "D1"], actor: nil)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("--as"), r.stderr)
        XCTAssertEqual(try eventRows().last, "ingest|refused|")
        let list = try XCTUnwrap(json(try custody(["list", "--json"])) as? [Any])
        XCTAssertTrue(list.isEmpty)
        // Asking for an exhibit that does not exist is an attempt too.
        XCTAssertEqual(try custody(["show", "EX-000042"], actor: "PC-1").status, 2)
        XCTAssertEqual(try custody(["export", "EX-000042", "--out", dir.file("x"), "--reason", "r"], actor: "PC-1").status,
                       2)
        XCTAssertEqual(try eventRows().suffix(2), ["view|refused|", "export|refused|"])
    }

    func testAMalformedOfficerIDIsRecordedAsSuchNotAsNoOfficer() throws {
        let video = TestPaths.fixture("bodycam-b.mp4")
        let missing = try custody(["ingest", video, "--device", "D1"], actor: nil)
        let malformed = try custody(["ingest", video, "--device", "D1", "--as", "bad id"])
        XCTAssertEqual([missing.status, malformed.status], [2, 2])
        XCTAssertTrue(missing.stderr.contains("no acting officer; give --as ID"), missing.stderr)
        XCTAssertTrue(malformed.stderr.contains("must be 1-64 letters, digits or ._@- characters; give it with --as"),
                      malformed.stderr)
        let events = try XCTUnwrap(json(try custody(["ledger", "log", "--json"])) as? [[String: Any]])
        XCTAssertEqual(events.suffix(2).map { "\($0["action"] ?? "") \($0["outcome"] ?? ""): \($0["reason"] ?? "")" },
                       ["ingest refused: no acting officer",
                        "ingest refused: the acting officer ID must be 1-64 letters, digits or ._@- characters"])
    }

    func testFoldersArePrivateWhateverTheUmaskAndNamesCannotForgeLines() throws {
        let fresh = dir.file("u0/a/b")
        let made = try runProcess("/bin/sh", ["-c", "umask 000; exec \"$0\" init --as PC-1 --data \"$1\"",
                                              TestPaths.custodyBinary, fresh])
        XCTAssertEqual(made.status, 0, made.stderr)
        for path in [dir.file("u0"), dir.file("u0/a"), fresh, fresh + "/chunks", fresh + "/keys"] {
            let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
            XCTAssertEqual(mode, 0o700, path)
        }
        // A name with a newline stays on its exhibit's line in `list`.
        let odd = dir.file("a\nEX-000099  forged.mp4")
        try FileManager.default.copyItem(atPath: TestPaths.fixture("bodycam-b.mp4"), toPath: odd)
        XCTAssertEqual(try custody(["ingest", odd, "--device", "D1"], actor: "PC-1").status, 0)
        let list = try custody(["list"]).stdout
        XCTAssertEqual(list.split(separator: "\n").count, 1, list)
        XCTAssertTrue(list.contains("a\\nEX-000099"), list)
    }

    func testAFileNameThatIsNotUTF8IsRefusedClearly() throws {
        let r = try runProcess("/bin/sh", ["-c", "exec \"$0\" ingest \"$(printf 'caf\\351.mp4')\" --device D1 --as PC-1 "
                                           + "--data \"$1\"", TestPaths.custodyBinary, data])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("not valid UTF-8"), r.stderr)
    }

    func testWorkDoneIsNotAFailureWhenOnlyTheCheckpointCannotBeSigned() throws {
        XCTAssertEqual(chmod(data + "/keys/ledger.key", 0o644), 0)
        let r = try custody(["ingest", TestPaths.fixture("bodycam-b.mp4"), "--device", "D1", "--json"], actor: "PC-1")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("checkpoint could not be signed"), r.stderr)
        XCTAssertTrue(r.stdout.contains("EX-000001"), r.stdout)
    }

    func testUsageErrorsAndHelp() throws {
        XCTAssertEqual(try custody(["frobnicate"]).status, 2)
        XCTAssertEqual(try custody(["ingest", "--device", "D1"], actor: "PC-1").status, 2)
        XCTAssertEqual(try custody(["ingest", TestPaths.fixture("random.bin")], actor: "PC-1").status, 2)
        XCTAssertEqual(try custody(["ingest", "/nonexistent", "--device", "D1"], actor: "PC-1").status, 2)
        XCTAssertEqual(try custody(["ingest", TestPaths.fixture("random.bin"), "--device", "D1",
                                    "--captured-at", "yesterday"], actor: "PC-1").status, 2)
        XCTAssertEqual(try custody(["show", "EX-424242"], actor: "PC-1").status, 2)
        XCTAssertEqual(try custody(["export", "EX-000001", "--out", dir.file("o")], actor: "PC-1").status, 2)
        XCTAssertEqual(try custody(["list", "--bogus"]).status, 2)
        let noData = try runProcess(TestPaths.custodyBinary, ["list", "--data", dir.file("nowhere")])
        XCTAssertEqual(noData.status, 2)
        XCTAssertTrue(noData.stderr.contains("custody init"), noData.stderr)
        for command in ["init", "ingest", "list", "show", "export", "verify"] {
            let help = try custody([command, "--help"])
            XCTAssertEqual(help.status, 0, command)
            XCTAssertTrue(help.stdout.contains("Usage: custody \(command)"), help.stdout)
        }
        XCTAssertEqual(try custody(["--help"]).status, 0)
    }
}
