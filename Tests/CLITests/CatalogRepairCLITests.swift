import Foundation
import TestSupport
import XCTest

/// The genuine file of an exhibit whose catalog rows were changed, ingested again, puts them back.
extension CatalogTamperCLITests {
    func reingest(_ name: String, chunkSize: String) throws -> (status: Int32, report: [String: Any]?, stderr: String) {
        let r = try custody(["ingest", TestPaths.fixture(name), "--device", "D1", "--chunk-size", chunkSize,
                             "--json"], actor: "PC-1")
        let report = (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])??.first
        return (r.status, report, r.stderr)
    }

    func testReingestingTheGenuineFileRepairsAnExhibitsChangedCatalogRowsAndRecordsIt() throws {
        try ingestTwo()
        let genuine = try sql("SELECT sha256 || ' ' || size FROM exhibits WHERE num = 1")
        let genuineChunks = try sql("SELECT chunk || ' ' || size FROM exhibit_chunks WHERE exhibit = 1 ORDER BY idx")
        let (_, sha) = try doctorExhibitOne()
        XCTAssertEqual(try custody(["verify"], actor: "PC-1").status, 1)

        // Cut into other chunks than the ledger recorded: refused, nothing changed, and it says why.
        let wrong = try reingest("bodycam-a.mp4", chunkSize: "4194304")
        XCTAssertEqual(wrong.status, 2, wrong.stderr)
        XCTAssertTrue(wrong.stderr.contains("the chunk size it was first stored with (65536"), wrong.stderr)
        XCTAssertTrue(wrong.stderr.contains("give it with --chunk-size"), wrong.stderr)
        XCTAssertEqual(try sql("SELECT sha256 FROM exhibits WHERE num = 1"), sha)
        XCTAssertEqual(try sql("SELECT count(*) FROM exhibits"), "2", "no new exhibit for the same bytes")

        let again = try reingest("bodycam-a.mp4", chunkSize: "65536")
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(again.report?["id"] as? String, "EX-000001")
        XCTAssertEqual(again.report?["repaired_catalog"] as? Bool, true)
        XCTAssertEqual(again.report?["duplicate"] as? Bool, false)
        XCTAssertEqual(try sql("SELECT sha256 || ' ' || size FROM exhibits WHERE num = 1"), genuine)
        XCTAssertEqual(try sql("SELECT chunk || ' ' || size FROM exhibit_chunks WHERE exhibit = 1 ORDER BY idx"),
                       genuineChunks)
        XCTAssertEqual(try sql("SELECT count(*) FROM exhibits"), "2")
        let recorded = try sql("SELECT action || '|' || outcome || '|' || exhibit || '|' || "
                               + "json_extract(details, '$.repaired_catalog') FROM events "
                               + "WHERE json_extract(details, '$.repaired_catalog') IS NOT NULL")
        XCTAssertEqual(recorded, "ingest|ok|EX-000001|true")
        let reason = try sql("SELECT reason FROM events WHERE json_extract(details, '$.repaired_catalog') = 'true'")
        XCTAssertTrue(reason.contains("EX-000001 has SHA-256 \(sha) in the catalog"), reason)

        let verify = try custody(["verify"], actor: "PC-1")
        XCTAssertEqual(verify.status, 0, verify.stdout)
        let out = dir.file("a.mp4")
        XCTAssertEqual(try custody(["export", "EX-000001", "--out", out, "--reason", "r"], actor: "PC-1").status, 0)
        XCTAssertEqual(FileManager.default.contents(atPath: out),
                       FileManager.default.contents(atPath: TestPaths.fixture("bodycam-a.mp4")))
        // Once repaired, the same file again is an ordinary duplicate.
        let third = try reingest("bodycam-a.mp4", chunkSize: "65536")
        XCTAssertEqual(third.report?["duplicate"] as? Bool, true, third.stderr)
        XCTAssertEqual(third.report?["repaired_catalog"] as? Bool, false)
    }

    func testReingestingRepairsAChunkListChangedUnderAnUnchangedSHA256AndSaysSoInText() throws {
        try ingestTwo()
        let genuineChunks = try sql("SELECT chunk || ' ' || size FROM exhibit_chunks WHERE exhibit = 1 ORDER BY idx")
        try sql("""
            UPDATE exhibit_chunks SET chunk = (SELECT chunk FROM exhibit_chunks WHERE exhibit = 1 AND idx = 0)
                WHERE exhibit = 1 AND idx = 1;
            """)
        XCTAssertEqual(try custody(["verify"], actor: "PC-1").status, 1)
        let r = try custody(["ingest", TestPaths.fixture("bodycam-a.mp4"), "--device", "D1", "--chunk-size", "65536"],
                            actor: "PC-1")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("EX-000001"), r.stdout)
        XCTAssertTrue(r.stdout.contains("its catalog rows disagreed with its ledger event"), r.stdout)
        XCTAssertTrue(r.stdout.contains("were repaired from this file (recorded in the ledger)"), r.stdout)
        XCTAssertFalse(r.stdout.contains("nothing new stored"), r.stdout)
        XCTAssertEqual(try sql("SELECT chunk || ' ' || size FROM exhibit_chunks WHERE exhibit = 1 ORDER BY idx"),
                       genuineChunks)
        XCTAssertEqual(try custody(["verify"], actor: "PC-1").status, 0)
    }
}
