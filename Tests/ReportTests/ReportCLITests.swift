import Catalog
import CustodyCore
import Foundation
import Ledger
import TestSupport
import XCTest
@testable import Vault

/// `custody report` run as a binary on a vault made here (its officers registered in-process).
final class ReportCLITests: ReportTestCase {
    func custody(_ args: [String], actor: String = "PC-4471") throws -> ProcessResult {
        guard FileManager.default.isExecutableFile(atPath: TestPaths.custodyBinary) else {
            throw XCTSkip("build the custody binary first (swift build)")
        }
        return try runProcess(TestPaths.custodyBinary, args,
                              environment: ["CUSTODY_DATA": dir.file("data"), "CUSTODY_ACTOR": actor])
    }

    func testJSONHoldsEveryEventWithItsLeafIndexAndEachProofVerifiesAgainstTheCheckpoint() throws {
        let exhibit = try ingest("bodycam-a.mp4")
        _ = try vault.show(exhibit.id, by: supervisor)
        let r = try custody(["report", exhibit.id, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let ledger = try XCTUnwrap(o["ledger"] as? [String: Any])
        let note = try XCTUnwrap(ledger["checkpoint"] as? String)
        let events = try XCTUnwrap(o["events"] as? [[String: Any]])
        XCTAssertEqual(events.compactMap { $0["action"] as? String }, ["ingest", "view", "view"])
        XCTAssertEqual(events.last?["details"] as? [String: String], ["report": "json"])
        let verifier = try vault.noteVerifier()  // the vault's own key, not the report's copy of it
        let checkpoint = try Checkpoint.open(note, verifier: verifier)
        XCTAssertEqual(ledger["root"] as? String, checkpoint.root.hex)
        for event in events {
            let seq = try XCTUnwrap(event["seq"] as? Int)
            XCTAssertEqual(event["leaf_index"] as? Int, seq)
            let proof = try InclusionProof(parsing: try XCTUnwrap(event["proof"] as? String))
            XCTAssertEqual(proof.index, UInt64(seq))
            XCTAssertEqual(proof.checkpoint, note)
            XCTAssertEqual(proof.leaf, try XCTUnwrap(vault.events.event(seq: Int64(seq))).leafBytes)
            XCTAssertEqual(try proof.verify(verifier: verifier), checkpoint)
        }
        let exhibits = try XCTUnwrap(o["exhibits"] as? [[String: Any]])
        XCTAssertEqual(exhibits.first?["sha256"] as? String, exhibit.sha256.hex)
    }

    func testHTMLIsWrittenToANewFileOnlyAndEveryRefusalIsRecorded() throws {
        let exhibit = try ingest("bodycam-a.mp4")
        let file = dir.file("report.html")
        let r = try custody(["report", exhibit.id, "--html", file])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("custody report of Exhibit \(exhibit.id)"), r.stdout)
        let html = try String(contentsOfFile: file, encoding: .utf8)
        XCTAssertTrue(html.contains(exhibit.sha256.hex))
        XCTAssertEqual(try allEvents().last?.details, ["report": "html"])

        for (args, actor, says) in [
            (["report", exhibit.id, "--html", file], "PC-4471", "exists"),
            (["report", exhibit.id], "PC-4471", "missing --html FILE or --json"),
            (["report", exhibit.id, "--json", "--html", dir.file("b.html")], "PC-4471", "not both"),
            (["report", exhibit.id, "--json"], "PC-9", "officer PC-9 is not registered"),
        ] {
            let before = try vault.events.count()
            let refused = try custody(args, actor: actor)
            XCTAssertEqual(refused.status, 2, "\(args): \(refused.stderr)")
            XCTAssertTrue(refused.stderr.contains(says), "\(args): \(refused.stderr)")
            let events = try vault.events.events(from: before)
            XCTAssertEqual(events.map(\.outcome), [.refused], "\(args): one refused event")
            XCTAssertEqual(events.first?.action, .view)
            XCTAssertEqual(events.first?.actor.id, actor)
        }
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), html, "the first report is untouched")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("b.html")))
    }
}
