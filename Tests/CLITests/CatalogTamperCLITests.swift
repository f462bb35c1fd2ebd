import Foundation
import TestSupport
import XCTest

/// Someone with write access to custody.sqlite edits the catalog (not the ledger): every exhibit's
/// identity is anchored in the ledger event that created it, so verify, export, redact and show notice.
final class CatalogTamperCLITests: CLITestCase {
    /// Runs SQL on the vault's database with the sqlite3 CLI, as an attacker would.
    @discardableResult
    func sql(_ statements: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        guard let sqlite = which("sqlite3") else { throw XCTSkip("sqlite3 CLI not installed") }
        let r = try runProcess(sqlite, [data + "/custody.sqlite", statements])
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Ingests bodycam-a (EX-000001, 64 KiB chunks) and bodycam-b (EX-000002).
    func ingestTwo() throws {
        for (name, size) in [("bodycam-a.mp4", "65536"), ("bodycam-b.mp4", "4194304")] {
            let r = try custody(["ingest", TestPaths.fixture(name), "--device", "D1", "--chunk-size", size],
                                actor: "PC-1")
            XCTAssertEqual(r.status, 0, r.stderr)
        }
    }

    /// Stores `bytes` as a chunk file named by its SHA-256, as the store would; returns the SHA-256.
    func plantChunk(_ bytes: Data) throws -> String {
        let sha = try runProcess(which("sha256sum")!, [], stdin: String(decoding: bytes, as: UTF8.self))
            .stdout.prefix(64)
        let path = data + "/chunks/\(sha.prefix(2))/\(sha)"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: bytes,
                                                     attributes: [.posixPermissions: 0o444]))
        return String(sha)
    }

    /// Points EX-000001's catalog rows (SHA-256, size, chunk list) at a planted doctored chunk, leaving
    /// the ledger alone; returns the doctored bytes and their SHA-256.
    func doctorExhibitOne() throws -> (Data, String) {
        let doctored = Data("a doctored recording\n".utf8)
        let sha = try plantChunk(doctored)
        try sql("""
            DELETE FROM exhibit_chunks WHERE exhibit = 1;
            INSERT INTO exhibit_chunks (exhibit, idx, chunk, size) VALUES (1, 0, '\(sha)', \(doctored.count));
            UPDATE exhibits SET sha256 = '\(sha)', size = \(doctored.count) WHERE num = 1;
            """)
        return (doctored, sha)
    }

    func assertExportRefused(_ id: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let out = dir.file("export-\(id).mp4")
        let export = try custody(["export", id, "--out", out, "--reason", "CPS 1"], actor: "PC-1")
        XCTAssertEqual(export.status, 1, export.stderr, file: file, line: line)
        XCTAssertTrue(export.stderr.contains(id), export.stderr, file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), file: file, line: line)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("export-") }
        XCTAssertEqual(left, [], "no partial file either", file: file, line: line)
        XCTAssertEqual(try eventRows().last, "export|refused|\(id)", file: file, line: line)
    }

    func testADoctoredChunkWithMatchingCatalogRowsIsCaughtByVerifyExportRedactAndShow() throws {
        try ingestTwo()
        let (doctored, sha) = try doctorExhibitOne()
        XCTAssertEqual(try custody(["ledger", "verify"]).status, 0, "the ledger itself is untouched")

        let verify = try custody(["verify"], actor: "PC-1")
        XCTAssertEqual(verify.status, 1, verify.stdout)
        XCTAssertTrue(verify.stdout.contains("DAMAGED  EX-000001  has SHA-256 \(sha) in the catalog, but its ingest "
                                             + "event"), verify.stdout)
        XCTAssertFalse(verify.stdout.contains("EX-000002"), "the other exhibit is intact: \(verify.stdout)")
        XCTAssertEqual(try eventRows().last, "verify|failed|")

        try assertExportRefused("EX-000001")
        let good = try custody(["export", "EX-000002", "--out", dir.file("b.mp4"), "--reason", "r"], actor: "PC-1")
        XCTAssertEqual(good.status, 0, good.stderr)

        let redact = try custody(["redact", "EX-000001", "--spec", TestPaths.fixture("redaction-spec.json"),
                                  "--reason", "CPS 17"], actor: "PC-1")
        XCTAssertEqual(redact.status, 1, redact.stderr)
        XCTAssertTrue(redact.stderr.contains("EX-000001 has SHA-256"), redact.stderr)
        XCTAssertEqual(try eventRows().last, "redact|refused|EX-000001")

        let show = try custody(["show", "EX-000001"], actor: "PC-1")
        XCTAssertEqual(show.status, 1)
        XCTAssertTrue(show.stderr.contains("the catalog disagrees with the ledger: EX-000001 has SHA-256"), show.stderr)
        XCTAssertTrue(show.stdout.contains("LEDGER DISAGREES"), show.stdout)
        let shown = try XCTUnwrap(json(try custody(["show", "EX-000002", "--json"], actor: "PC-1")) as? [String: Any])
        XCTAssertEqual(shown["ledger_disagreements"] as? [String], [])

        // Rewriting the ingest event as well (its triggers dropped) breaks its proof against the
        // signed checkpoint: the row is not trusted for what it says.
        let original = try XCTUnwrap(
            try FileManager.default.attributesOfItem(atPath: TestPaths.fixture("bodycam-a.mp4"))[.size] as? Int)
        let list = try sql("SELECT json_extract(details, '$.chunks_sha256') FROM events WHERE exhibit = 'EX-000001' "
                           + "AND action = 'ingest'")
        let doctoredList = try runProcess(which("sha256sum")!, [], stdin: "\(sha) \(doctored.count)\n")
            .stdout.prefix(64)
        try sql("""
            DROP TRIGGER events_no_update;
            UPDATE events SET object_sha256 = '\(sha)',
                details = replace(replace(details, '"size":"\(original)"', '"size":"\(doctored.count)"'),
                                  '\(list)', '\(doctoredList)')
                WHERE exhibit = 'EX-000001' AND action = 'ingest';
            """)
        XCTAssertEqual(try sql("SELECT count(*) FROM events WHERE details LIKE '%\(doctoredList)%'"), "1")
        let again = try custody(["verify"], actor: "PC-1")
        XCTAssertEqual(again.status, 1, again.stdout)
        XCTAssertTrue(again.stdout.contains("DAMAGED  EX-000001  event "), again.stdout)
        XCTAssertTrue(again.stdout.contains("signed checkpoint"), again.stdout)
        try assertExportRefused("EX-000001")
    }
}

extension CatalogTamperCLITests {
    func testAnExhibitWhoseRowsAndChunksWereDeletedIsReportedAndItsIDNotReused() throws {
        try ingestTwo()
        let chunks = try sql("SELECT chunk FROM exhibit_chunks WHERE exhibit = 2").split(separator: "\n")
        XCTAssertFalse(chunks.isEmpty)
        try sql("DELETE FROM exhibit_chunks WHERE exhibit = 2; DELETE FROM exhibits WHERE num = 2;")
        for chunk in chunks { try FileManager.default.removeItem(atPath: data + "/chunks/\(chunk.prefix(2))/\(chunk)") }
        XCTAssertEqual(try custody(["ledger", "verify"]).status, 0, "the ledger itself is untouched")

        let verify = try custody(["verify", "--json"], actor: "PC-1")
        XCTAssertEqual(verify.status, 1, verify.stdout)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(report["damaged_exhibits"] as? [String], ["EX-000002"])
        let damage = try XCTUnwrap(report["damage"] as? [[String: Any]])
        XCTAssertEqual(damage.count, 1)
        let problem = damage.first?["problem"] as? String ?? ""
        XCTAssertTrue(problem.contains("is missing from the catalog, but the ledger has its ingest event"), problem)

        // The next exhibit does not take the deleted one's ID (it would disagree with that ID's event).
        let next = try custody(["ingest", TestPaths.fixture("truncated.mp4"), "--device", "D1"], actor: "PC-1")
        XCTAssertEqual(next.status, 0, next.stderr)
        XCTAssertTrue(next.stdout.hasPrefix("EX-000003"), next.stdout)
        let again = try custody(["verify"], actor: "PC-1")
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stdout.contains("DAMAGED  EX-000002  is missing from the catalog"), again.stdout)
        XCTAssertFalse(again.stdout.contains("EX-000003"), again.stdout)
    }

    func testACatalogRowWithoutALedgerEventIsReportedRefusedAndWarnedAbout() throws {
        try ingestTwo()
        let planted = Data("a recording nobody ingested\n".utf8)
        let sha = try plantChunk(planted)
        try sql("""
            INSERT INTO exhibits (num, id, sha256, size, chunk_size, filename, device, officer, ingested_at, status)
                VALUES (3, 'EX-000003', '\(sha)', \(planted.count), 65536, 'planted.mp4', 'D1', 'PC-1',
                        '2026-11-01T00:00:00.000Z', 'ok');
            INSERT INTO exhibit_chunks (exhibit, idx, chunk, size) VALUES (3, 0, '\(sha)', \(planted.count));
            """)
        let verify = try custody(["verify"], actor: "PC-1")
        XCTAssertEqual(verify.status, 1, verify.stdout)
        XCTAssertTrue(verify.stdout.contains("DAMAGED  EX-000003  has no ingest or redact event in the ledger"),
                      verify.stdout)
        XCTAssertTrue(verify.stdout.contains("FAILED: 1 of 3 exhibits damaged."), verify.stdout)
        try assertExportRefused("EX-000003")
        let show = try custody(["show", "EX-000003"], actor: "PC-1")
        XCTAssertEqual(show.status, 1)
        XCTAssertTrue(show.stderr.contains("EX-000003 has no ingest or redact event in the ledger"), show.stderr)
    }

    func testAMalformedChunkRowIsReportedAndEveryOtherExhibitStillChecked() throws {
        try ingestTwo()
        let second = try sql("SELECT count(*) FROM exhibit_chunks WHERE exhibit = 2")
        try sql("UPDATE exhibit_chunks SET chunk = 'zz' WHERE exhibit = 1 AND idx = 0")
        let verify = try custody(["verify", "--json"], actor: "PC-1")
        XCTAssertEqual(verify.status, 1, verify.stderr)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any],
                                   verify.stderr)
        XCTAssertEqual(report["exhibits"] as? Int, 2)
        XCTAssertEqual(report["chunks"] as? Int, Int(second), "the second exhibit was re-hashed")
        XCTAssertEqual(report["damaged_exhibits"] as? [String], ["EX-000001"])
        let damage = try XCTUnwrap(report["damage"] as? [[String: Any]])
        XCTAssertEqual(damage.map { $0["problem"] as? String }, [
            "the chunk list of EX-000001 is damaged in the catalog: the chunk at position 0 is not a SHA-256 with a "
                + "size of at most 64 MiB",
        ])
        // And a damaged chunk file of the second exhibit is found as well.
        try damageChunk(try sql("SELECT chunk FROM exhibit_chunks WHERE exhibit = 2 AND idx = 0"), at: 100)
        let both = try custody(["verify"], actor: "PC-1")
        XCTAssertEqual(both.status, 1)
        XCTAssertTrue(both.stdout.contains("DAMAGED  EX-000001  the chunk list of EX-000001 is damaged"), both.stdout)
        XCTAssertTrue(both.stdout.contains("DAMAGED  EX-000002  exhibit EX-000002 chunk 0"), both.stdout)
        XCTAssertTrue(both.stdout.contains("FAILED: 2 of 2 exhibits damaged."), both.stdout)
    }
}
