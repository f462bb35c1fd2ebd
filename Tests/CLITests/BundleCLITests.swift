import CustodyCore
import Foundation
import TestSupport
import XCTest

/// `custody bundle create|list|show|revoke` and `custody worker` through the built binary.
class BundleCLITestCase: CLITestCase {
    let spec = TestPaths.fixture("redaction-spec.json")

    /// bodycam-a (EX-000001) and bodycam-b (EX-000002) in case CPS/1.
    func makeCase() throws {
        XCTAssertEqual(try custody(["ingest", TestPaths.fixture("bodycam-a.mp4"), TestPaths.fixture("bodycam-b.mp4"),
                                    "--device", "BW2-000417"], actor: "PC-1").status, 0)
        XCTAssertEqual(try custody(["case", "create", "CPS/1"], actor: "PC-1").status, 0)
        XCTAssertEqual(try custody(["case", "add", "CPS/1", "EX-000001", "EX-000002"], actor: "PC-1").status, 0)
    }

    func show(_ id: String) throws -> [String: Any] {
        try XCTUnwrap(json(try custody(["bundle", "show", id, "--json"], actor: "PC-1")) as? [String: Any])
    }

    func files(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.file("data/\(folder)"))) ?? []).sorted()
    }
}

final class BundleCLITests: BundleCLITestCase {
    func testQueueRunShowListRevokeEndToEnd() throws {
        try makeCase()
        let redacted = try XCTUnwrap(json(try custody(["bundle", "create", "--case", "CPS/1", "--recipient",
                                                       "j.smith@cps.gov.uk", "--exhibit", "EX-000001:\(spec)",
                                                       "--expires", "36h", "--max-downloads", "3", "--json"],
                                                      actor: "PC-1")) as? [String: Any])
        XCTAssertEqual(redacted["id"] as? String, "BN-000001")
        XCTAssertEqual(redacted["state"] as? String, "queued")
        XCTAssertEqual(redacted["expires_in"] as? Int, 36 * 3600)
        XCTAssertEqual(redacted["max_downloads"] as? Int, 3)
        XCTAssertTrue(redacted["link"] is NSNull)
        let items = try XCTUnwrap(redacted["items"] as? [[String: Any]])
        XCTAssertEqual(items.map { $0["exhibit"] as? String }, ["EX-000001"])
        XCTAssertEqual(items.first?["spec_sha256"] as? String,
                       String(try runProcess(try XCTUnwrap(which("sha256sum")), [spec]).stdout.prefix(64)))
        let whole = try custody(["bundle", "create", "--case", "cps/1", "--recipient", "clerk@court.example"],
                                actor: "PC-1")
        XCTAssertEqual(whole.status, 0, whole.stderr)
        XCTAssertEqual(whole.stdout, "Queued BN-000002 (case CPS/1, 2 clips for clerk@court.example).\n")

        let ran = try custody(["worker", "--once"])
        XCTAssertEqual(ran.status, 0, ran.stderr)
        XCTAssertEqual(ran.stdout, "BN-000001 built\nBN-000002 built\n")
        XCTAssertEqual(files("bundles"), ["BN-000001.zip", "BN-000002.zip"])

        let built = try show("BN-000001")
        XCTAssertEqual(built["state"] as? String, "done")
        XCTAssertEqual(built["attempts"] as? Int, 1)
        XCTAssertEqual((built["items"] as? [[String: Any]])?.first?["derived"] as? String, "EX-000003")
        XCTAssertEqual((built["items"] as? [[String: Any]])?.first?["sent"] as? String, "EX-000003")
        let zip = dir.file("data/bundles/BN-000001.zip")
        XCTAssertEqual(built["sha256"] as? String,
                       String(try runProcess(try XCTUnwrap(which("sha256sum")), [zip]).stdout.prefix(64)))
        XCTAssertEqual(built["size"] as? Int, try FileManager.default.attributesOfItem(atPath: zip)[.size] as? Int)
        let link = try XCTUnwrap(built["link"] as? String)
        XCTAssertTrue(link.hasPrefix("http://127.0.0.1:8080/bundles/BN-000001?exp="), link)
        XCTAssertTrue(link.contains("&rcpt=j.smith@cps.gov.uk&sig="), link)
        let text = try custody(["bundle", "show", "BN-000001"], actor: "PC-1")
        XCTAssertTrue(text.stdout.contains("State:      done"), text.stdout)
        XCTAssertTrue(text.stdout.contains("-> EX-000003"), text.stdout)
        XCTAssertTrue(text.stdout.contains("Link:       \(link)"), text.stdout)

        let listed = try XCTUnwrap(json(try custody(["bundle", "list", "--json"], actor: "PC-1")) as? [[String: Any]])
        XCTAssertEqual(listed.map { $0["id"] as? String }, ["BN-000002", "BN-000001"])
        XCTAssertEqual(listed.map { $0["state"] as? String }, ["done", "done"])
        XCTAssertEqual(try custody(["bundle", "list", "--case", "CPS/2", "--json"], actor: "PC-1").status, 2)

        let noReason = try custody(["bundle", "revoke", "BN-000001"], actor: "PC-1")
        XCTAssertEqual(noReason.status, 2)
        XCTAssertTrue(noReason.stderr.contains("missing --reason TEXT"), noReason.stderr)
        let revoked = try XCTUnwrap(json(try custody(["bundle", "revoke", "BN-000001", "--reason", "wrong clerk",
                                                      "--json"], actor: "PC-1")) as? [String: Any])
        XCTAssertEqual(revoked["revoked"] as? Bool, true)
        XCTAssertEqual(revoked["revoke_reason"] as? String, "wrong clerk")
        XCTAssertTrue(try show("BN-000001")["link"] is NSNull, "a revoked bundle has no link")

        let shares = try eventRows().filter { $0.hasPrefix("share|") }
        // Queued twice, built twice, the revocation without a reason, revoked; the unknown case listed is a
        // refused read (`view`).
        XCTAssertEqual(shares, ["share|ok|", "share|ok|", "share|ok|", "share|ok|", "share|refused|", "share|ok|"])
        XCTAssertEqual(try eventRows().filter { $0.hasSuffix("|refused|") }, ["view|refused|", "share|refused|"])
        XCTAssertEqual(try eventRows().filter { $0.hasPrefix("redact|") },
                       ["redact|ok|EX-000001", "redact|ok|EX-000003"])
        XCTAssertEqual(try custody(["verify"], actor: "PC-1").status, 0)
    }

    func testABadSpecIsRefusedAtOnceWithItsLineAndColumnAndRecorded() throws {
        try makeCase()
        let broken = dir.file("broken.json")
        try Data("{\n  \"clip\": [0, 2],\n  \"regions\": [\n}\n".utf8).write(to: URL(fileURLWithPath: broken))
        let r = try custody(["bundle", "create", "--case", "CPS/1", "--recipient", "clerk@court.example",
                             "--exhibit", "EX-000001:\(broken)"], actor: "PC-1")
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains(broken) && r.stderr.contains("line 4, column 1"), r.stderr)
        XCTAssertEqual(try eventRows().last, "share|refused|")
        XCTAssertEqual(try custody(["bundle", "list", "--json"], actor: "PC-1").stdout, "[\n\n]\n")
    }

    func testRefusedCommandLinesAreRecordedAndSayWhatToDo() throws {
        try makeCase()
        let nobody = try custody(["bundle", "create", "--case", "CPS/1", "--recipient", "clerk@court.example"],
                                 actor: nil)
        XCTAssertEqual(nobody.status, 2)
        XCTAssertTrue(nobody.stderr.contains("no acting officer; give --as ID or set CUSTODY_ACTOR"), nobody.stderr)
        let missing = try custody(["bundle", "create", "--case", "CPS/1"], actor: "PC-1")
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("missing --recipient NAME"), missing.stderr)
        XCTAssertTrue(missing.stderr.contains("see `custody bundle create --help`"), missing.stderr)
        let badExpiry = try custody(["bundle", "create", "--case", "CPS/1", "--recipient", "c@x", "--expires", "2w"],
                                    actor: "PC-1")
        XCTAssertTrue(badExpiry.stderr.contains("--expires must be a number and d, h or m"), badExpiry.stderr)
        let unknown = try custody(["bundle", "show", "BN-000042"], actor: "PC-1")
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.stderr.contains("no bundle BN-000042; `custody bundle list` shows them"), unknown.stderr)
        XCTAssertEqual(try eventRows().suffix(4), ["share|refused|", "share|refused|", "share|refused|",
                                                   "view|refused|"])
        let commands = [["bundle", "create"], ["bundle", "list"], ["bundle", "show"], ["bundle", "revoke"], ["worker"]]
        for command in commands {
            let help = try custody(command + ["--help"])
            XCTAssertEqual(help.status, 0)
            XCTAssertTrue(help.stdout.contains("Usage: custody \(command.joined(separator: " "))"), help.stdout)
        }
    }

    func testWaitRunsTheJobInThisProcessWhenNoWorkerTakesItAndPrintsTheLink() throws {
        try makeCase()
        let r = try custody(["bundle", "create", "--case", "CPS/1", "--recipient", "clerk@court.example",
                             "--exhibit", "EX-000001:\(spec)", "--wait"], actor: "PC-1")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("no worker took BN-000001 within 3 s: building it in this process"), r.stderr)
        XCTAssertTrue(r.stderr.contains("BN-000001: redacting EX-000001"), r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("http://127.0.0.1:8080/bundles/BN-000001?exp="), r.stdout)
        XCTAssertEqual(try show("BN-000001")["link"] as? String, r.stdout.trimmingCharacters(in: .newlines))
    }

    /// Two worker processes on one data directory: every job is built exactly once.
    func testTwoWorkerProcessesNeverRunOneJob() throws {
        try makeCase()
        let create = ["bundle", "create", "--case", "CPS/1", "--recipient", "clerk@court.example"]
        XCTAssertEqual(try custody(create + ["--exhibit", "EX-000001:\(spec)"], actor: "PC-1").status, 0)
        for _ in 0..<3 { XCTAssertEqual(try custody(create, actor: "PC-1").status, 0) }
        let results = (0..<2).map { _ in Unchecked(value: NSMutableString(string: "")) }
        let data = self.data
        DispatchQueue.concurrentPerform(iterations: 2) { n in
            let r = try! runProcess(TestPaths.custodyBinary, ["worker", "--once", "--data", data])
            results[n].value.append(r.stdout)
        }
        let lines = results.flatMap { ($0.value as String).split(separator: "\n").map(String.init) }
        XCTAssertEqual(lines.sorted(), ["BN-000001 built", "BN-000002 built", "BN-000003 built", "BN-000004 built"])
        let built = try eventRows().filter { $0 == "share|ok|" }.count
        XCTAssertEqual(built, 4 + 4, "four queued, four built")
        XCTAssertEqual(try eventRows().filter { $0.hasPrefix("redact|") }.count, 2, "one redaction, one event pair")
    }
}
