import CustodyCore
import Crypto
import Foundation
import SQLite
import TestSupport
import XCTest
@testable import Ledger

/// The event that created an exhibit anchors its identity: which one it is, that it is found through
/// the partial index, and that a changed row is not taken for it.
final class CreationEventTests: XCTestCase {
    let a = String(repeating: "a", count: 64), b = String(repeating: "b", count: 64)

    func ingest(_ exhibit: String, _ sha: String, outcome: CustodyEvent.Outcome = .ok,
                details: [String: String] = ["size": "10"]) -> CustodyEvent {
        CustodyEvent(actor: .officer("PC-1"), action: .ingest, exhibit: exhibit, objectSHA256: sha, outcome: outcome,
                     details: details)
    }

    func testTheFirstSuccessfulCreationAnchorsAndDuplicatesFailuresSourcesAndViewsDoNot() throws {
        let log = try EventLog(db: try makeDatabase())
        try log.append([
            CustodyEvent(actor: .officer("PC-1"), action: .view, exhibit: "EX-000001", objectSHA256: b),
            ingest("EX-000001", b, outcome: .failed),
            ingest("EX-000001", a),                                                   // 2: creates EX-000001
            ingest("EX-000001", b, details: ["duplicate": "true"]),
            CustodyEvent(actor: .officer("PC-1"), action: .redact, exhibit: "EX-000001", objectSHA256: a,
                         details: ["role": "source"]),
            CustodyEvent(actor: .officer("PC-1"), action: .redact, exhibit: "EX-000002", objectSHA256: b,
                         details: ["size": "5", "parent_sha256": a]),                  // 5: creates EX-000002
            ingest("EX-000001", b),                                                   // the ID made again: ignored
        ])
        XCTAssertEqual(try log.creationEvent(exhibit: "EX-000001")?.seq, 2)
        XCTAssertEqual(try log.creationEvent(exhibit: "EX-000002")?.seq, 5)
        XCTAssertNil(try log.creationEvent(exhibit: "EX-000003"))
        let all = try log.creationEvents()
        XCTAssertEqual(all.map(\.exhibit), ["EX-000001", "EX-000002"])
        XCTAssertEqual(all.map { try? $0.event.get().seq }, [2, 5])
    }

    func testCreationEventsAreFoundThroughThePartialIndexNotByScanningTheLog() throws {
        let db = try makeDatabase()
        _ = try EventLog(db: db)
        for sql in [EventLog.creationEventsOfOne, EventLog.creationEventsOfAll, EventLog.creationEventsOfSHA256] {
            let plan = try db.query("EXPLAIN QUERY PLAN " + sql, sql.contains("?") ? [.text("EX-000001")] : [])
                .compactMap { $0.text(3) }.joined(separator: "\n")
            XCTAssertTrue(plan.contains("INDEX events_creation"), "\(sql): \(plan)")
            XCTAssertFalse(plan.contains("SCAN events\n") || plan.hasSuffix("SCAN events"), plan)
        }
    }

    func testAChangedCreationRowFailsItsProofAgainstTheSignedCheckpointAndTheStoredTree() throws {
        let db = try makeDatabase()
        let log = try EventLog(db: db)
        let key = try Ed25519Key.generate()
        let signer = try NoteSigner(name: "t/custody", key: key)
        let verifier = try NoteVerifier(name: "t/custody", publicKey: key.publicBytes())
        try log.append((0..<5).map { ingest("EX-00000\($0 + 1)", a) })
        try log.checkpoint(signer: signer)
        try log.append(ingest("EX-000006", a))  // after the checkpoint
        let checkpoint = try XCTUnwrap(try log.newestSignedCheckpoint(verifier: verifier))
        for seq: Int64 in [2, 5] {
            XCTAssertNil(try log.inclusionProblem(try XCTUnwrap(try log.event(seq: seq)), checkpoint: checkpoint))
        }
        try db.execute("DROP TRIGGER events_no_update; UPDATE events SET object_sha256 = '\(b)' WHERE seq IN (2, 5)")
        let covered = try log.inclusionProblem(try XCTUnwrap(try log.creationEvent(exhibit: "EX-000003")),
                                               checkpoint: checkpoint)
        XCTAssertTrue(covered?.contains("signed checkpoint of 5 events") == true, covered ?? "nil")
        let newer = try log.inclusionProblem(try XCTUnwrap(try log.creationEvent(exhibit: "EX-000006")),
                                             checkpoint: checkpoint)
        XCTAssertTrue(newer?.contains("does not match the ledger's tree") == true, newer ?? "nil")
    }

    func testTheGreatestExhibitNamedIsComparedAsANumberOverEveryEventThroughItsIndex() throws {
        let db = try makeDatabase()
        let log = try EventLog(db: db)
        XCTAssertNil(try log.greatestExhibitNamed())
        try log.append([
            CustodyEvent(actor: .officer("PC-1"), action: .view, exhibit: "EX-999999", objectSHA256: a),
            CustodyEvent(actor: .officer("PC-1"), action: .export, exhibit: "EX-1000000", outcome: .refused),
            ingest("EX-000007", a),
            CustodyEvent(actor: .officer("PC-1"), action: .verify),
        ])
        XCTAssertEqual(try log.greatestExhibitNamed(), 1_000_000, "EX-1000000 is after EX-999999")
        let plan = try db.query("EXPLAIN QUERY PLAN " + EventLog.greatestExhibitNumber)
            .compactMap { $0.text(3) }.joined(separator: "\n")
        XCTAssertTrue(plan.contains("INDEX events_exhibit_number"), plan)
        XCTAssertFalse(plan.contains("TEMP B-TREE"), plan)
    }
}
