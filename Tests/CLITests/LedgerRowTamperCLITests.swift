import Foundation
import TestSupport
import XCTest

/// Someone with write access to custody.sqlite edits the ledger's event rows as well as the catalog:
/// `custody verify` checks the rows it relies on against the Merkle tree and names each changed one.
extension CatalogTamperCLITests {
    /// Runs `statements` on the events table with its update trigger out of the way, then puts the
    /// trigger back exactly as it was, so only the changed rows give the tampering away.
    func rewriteEvents(_ statements: String) throws {
        try sql("""
            DROP TRIGGER events_no_update;
            \(statements)
            CREATE TRIGGER events_no_update BEFORE UPDATE ON events
                BEGIN SELECT RAISE(ABORT, 'custody events are append-only'); END;
            """)
    }

    func creationSeq(_ id: String) throws -> String {
        try sql("SELECT seq FROM events WHERE exhibit = '\(id)' AND action = 'ingest' AND outcome = 'ok'")
    }

    func testACatalogRowRewrittenWithItsCreationEventIsNamedAsALedgerProblemByVerify() throws {
        try ingestTwo()
        let seq = try creationSeq("EX-000001")
        let size = try sql("SELECT size FROM exhibits WHERE num = 1")
        let oldList = try sql("SELECT json_extract(details, '$.chunks_sha256') FROM events WHERE seq = \(seq)")
        let (doctored, sha) = try doctorExhibitOne()
        let list = try runProcess(which("sha256sum")!, [], stdin: "\(sha) \(doctored.count)\n").stdout.prefix(64)
        try rewriteEvents("""
            UPDATE events SET object_sha256 = '\(sha)',
                details = replace(replace(details, '"size":"\(size)"', '"size":"\(doctored.count)"'),
                                  '\(oldList)', '\(list)')
                WHERE seq = \(seq);
            """)
        XCTAssertEqual(try sql("SELECT count(*) FROM events WHERE details LIKE '%\(list)%'"), "1")
        let verify = try custody(["verify"], actor: "PC-1")
        XCTAssertEqual(verify.status, 1, verify.stdout)
        XCTAssertTrue(verify.stdout.contains("LEDGER  event \(seq) does not match the tree"), verify.stdout)
        XCTAssertTrue(verify.stdout.contains("ledger problems."), verify.stdout)

        let json = try custody(["verify", "--json"], actor: "PC-1")
        XCTAssertEqual(json.status, 1, json.stderr)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(report["intact"] as? Bool, false)
        XCTAssertGreaterThanOrEqual(report["ledger_problems"] as? Int ?? 0, 1, json.stdout)
        let mismatches = try XCTUnwrap(report["ledger_mismatches"] as? [String])
        XCTAssertTrue(mismatches.contains { $0.hasPrefix("event \(seq) does not match the tree") }, "\(mismatches)")
        try assertExportRefused("EX-000001")
    }

    /// The creation event changed so it no longer reads as one (a failed ingest) and the exhibit's rows
    /// and chunks deleted: no exhibit check finds anything to compare, only the row's leaf gives it away.
    func testACreationEventDisguisedAsAFailureWithItsExhibitDeletedFailsVerify() throws {
        try ingestTwo()
        let seq = try creationSeq("EX-000002")
        let chunks = try sql("SELECT chunk FROM exhibit_chunks WHERE exhibit = 2").split(separator: "\n")
        try sql("DELETE FROM exhibit_chunks WHERE exhibit = 2; DELETE FROM exhibits WHERE num = 2;")
        for chunk in chunks { try FileManager.default.removeItem(atPath: data + "/chunks/\(chunk.prefix(2))/\(chunk)") }
        try rewriteEvents("UPDATE events SET outcome = 'failed' WHERE seq = \(seq);")

        let verify = try custody(["verify", "--json"], actor: "PC-1")
        XCTAssertEqual(verify.status, 1, verify.stdout)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(report["damaged_exhibits"] as? [String], [], "the catalog alone looks whole")
        let mismatches = try XCTUnwrap(report["ledger_mismatches"] as? [String])
        XCTAssertEqual(mismatches.first, "event \(seq) does not match the tree: the row was changed, inserted or moved")
        XCTAssertTrue(mismatches.dropFirst().allSatisfy { $0.contains("does not match the log: an event at or") },
                      "only the checkpoints covering it besides: \(mismatches)")
        XCTAssertEqual(report["ledger_problems"] as? Int, mismatches.count)
        XCTAssertEqual(try eventRows().last, "verify|failed|")
        let reason = try sql("SELECT reason FROM events ORDER BY seq DESC LIMIT 1")
        XCTAssertTrue(reason.contains("the ledger does not match: event \(seq)"), reason)
    }
}
