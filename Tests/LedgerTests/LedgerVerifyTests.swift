import Crypto
import CustodyCore
import Foundation
import SQLite
import TestSupport
import XCTest
@testable import Ledger

/// `EventLog.verify` against a log edited behind custody's back, straight in the SQLite file.
final class LedgerVerifyTests: XCTestCase {
    var dir: TemporaryDirectory!
    var signer: NoteSigner!
    var log: EventLog!

    override func setUpWithError() throws {
        dir = TemporaryDirectory("custody-ledger-verify")
        signer = try NoteSigner(name: "test.police.uk/custody", key: Ed25519Key.generate())
        log = try EventLog(db: Database(path: dir.file("custody.sqlite")))
        // 40 events, a checkpoint after every 10 (sizes 10, 20, 30, 40).
        for batch in 0..<4 {
            for i in 0..<10 {
                let n = batch * 10 + i
                try log.append(CustodyEvent(actor: .officer("PC-\(n % 3)"), action: n % 2 == 0 ? .view : .export,
                                            exhibit: "EX-00000\(n % 5)", caseID: n % 7 == 0 ? "CASE-1" : nil,
                                            objectSHA256: String(repeating: "ab", count: 32), reason: "r\(n)",
                                            details: ["n": String(n)]))
            }
            try log.checkpoint(signer: signer)
        }
    }

    override func tearDown() {
        log = nil
        dir?.remove()
    }

    func verify(_ external: [(label: String, note: String)] = []) throws -> LedgerReport {
        try log.verify(verifier: signer.verifier, external: external)
    }

    /// Runs SQL with the append-only triggers out of the way, then puts them back exactly as they
    /// were, as someone with write access to the file would.
    func tamper(_ sql: String) throws {
        let triggers = EventLog.appendOnlyTriggers.sorted { $0.key < $1.key }
        try log.db.execute(triggers.map { "DROP TRIGGER \($0.key);" }.joined() + sql)
        try log.db.execute(triggers.map { "\($0.value);" }.joined())
    }

    func assertFails(_ report: LedgerReport, first expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(report.isIntact, file: file, line: line)
        XCTAssertTrue(report.problems.first?.contains(expected) ?? false,
                      "expected \(expected) first, got \(report.problems)", file: file, line: line)
    }

    func testAnIntactLogVerifies() throws {
        let report = try verify([("copy", try XCTUnwrap(log.checkpoints().first).note)])
        XCTAssertTrue(report.isIntact, "\(report.problems)")
        XCTAssertEqual(report.size, 40)
        XCTAssertEqual(report.checkpointsChecked, 4)
        XCTAssertEqual(report.externalCheckpointsChecked, 1)
        XCTAssertEqual(report.root, try log.root(size: 40))
        XCTAssertEqual(report.uncovered, 0)
    }

    func testEveryChangedFieldOfAnEventIsCaught() throws {
        let changes = ["time = '2026-01-01T00:00:00.000Z'", "actor = 'PC-9'", "actor_kind = 'system'",
                       "action = 'delete'", "exhibit = 'EX-000099'", "exhibit = NULL", "case_id = 'CASE-2'",
                       "object_sha256 = NULL", "outcome = 'refused'", "reason = 'r18'", "details = '{\"n\":\"18\"}'"]
        for change in changes {
            try setUpWithError()
            try tamper("UPDATE events SET \(change) WHERE seq = 17")
            assertFails(try verify(), first: "event 17 does not match")
        }
    }

    func testEveryChangedRowIsNamedNotOnlyTheFirst() throws {
        try tamper("UPDATE events SET reason = 'changed' WHERE seq IN (3, 17, 38)")
        let report = try verify()
        assertFails(report, first: "event 3 does not match")
        for seq in [17, 38] {
            XCTAssertTrue(report.problems.contains { $0.hasPrefix("event \(seq) does not match the tree") },
                          "\(report.problems)")
        }
        XCTAssertEqual(report.problems.filter { $0.hasPrefix("event ") }.count, 3, "\(report.problems)")
        XCTAssertEqual(report.size, 40)
    }

    func testADeletedEventIsCaught() throws {
        try tamper("DELETE FROM events WHERE seq = 12")
        assertFails(try verify(), first: "event 12 is missing")
        try setUpWithError()
        try tamper("DELETE FROM events WHERE seq = 39")
        let report = try verify()
        assertFails(report, first: "hashes past event 38")
        XCTAssertTrue(report.problems.contains { $0.contains("checkpoint 4 covers 40 events") }, "\(report.problems)")
    }

    func testSwappedEventsAreCaught() throws {
        try tamper("""
            UPDATE events SET seq = -1 WHERE seq = 5; UPDATE events SET seq = 5 WHERE seq = 6;
            UPDATE events SET seq = 6 WHERE seq = -1;
            """)
        assertFails(try verify(), first: "event 5 does not match")
    }

    func testInsertedEventsAreCaught() throws {
        // In the middle, renumbering what follows...
        try tamper("""
            UPDATE events SET seq = seq + 1000 WHERE seq >= 20; UPDATE events SET seq = seq - 999 WHERE seq >= 1000;
            INSERT INTO events (seq, time, actor, actor_kind, action, outcome, details)
                VALUES (20, '2026-11-24T10:00:00.000Z', 'PC-1', 'officer', 'view', 'ok', '{}');
            """)
        assertFails(try verify(), first: "event 20 does not match")
        // ...and at the end, where no checkpoint covers it yet.
        try setUpWithError()
        try tamper("""
            INSERT INTO events (seq, time, actor, actor_kind, action, outcome, details)
                VALUES (40, '2026-11-24T10:00:00.000Z', 'PC-1', 'officer', 'delete', 'ok', '{}');
            """)
        assertFails(try verify(), first: "event 40 does not match")
    }

    func testChangedOrDeletedCheckpointsAreCaught() throws {
        let second = try XCTUnwrap(log.checkpoints().dropFirst().first)
        let forgedRoot = second.note.replacingOccurrences(of: "\n20\n", with: "\n21\n")
        try tamper("UPDATE checkpoints SET note = '\(forgedRoot)' WHERE num = 2")
        assertFails(try verify(), first: "checkpoint 2: the signature by test.police.uk/custody does not verify")
        try setUpWithError()
        try tamper("DELETE FROM checkpoints WHERE num = 2")
        assertFails(try verify(), first: "checkpoint 2 is missing")
        try setUpWithError()
        try log.db.execute("DROP TRIGGER events_no_update")
        assertFails(try verify(), first: "trigger events_no_update has been removed")
        // The same name, defused: it never fires.
        try setUpWithError()
        try log.db.execute("""
            DROP TRIGGER events_no_delete;
            CREATE TRIGGER events_no_delete BEFORE DELETE ON events WHEN 0 BEGIN SELECT RAISE(ABORT, 'no'); END;
            """)
        assertFails(try verify(), first: "trigger events_no_delete has been replaced by one that does something else")
    }

    func testACheckpointWhoseSignatureTextChangedInUnusedBitsIsCaught() throws {
        // The last base64 character of a 68-byte signature line carries 4 unused bits: flipping one
        // keeps the decoded bytes, but the stored checkpoint is no longer the one signed.
        let second = try XCTUnwrap(log.checkpoints().dropFirst().first)
        let signature = try XCTUnwrap(second.note.split(separator: "\n").last)
        let last = try XCTUnwrap(signature.dropLast().last)  // before the `=` padding
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        let index = try XCTUnwrap(alphabet.firstIndex(of: last))
        let altered = String(signature.dropLast(2)) + String(alphabet[index ^ 1]) + "="
        XCTAssertEqual(Data(base64Encoded: String(signature.split(separator: " ")[2])),
                       Data(base64Encoded: String(altered.split(separator: " ")[2])), "the same bytes either way")
        try tamper("UPDATE checkpoints SET note = '\(second.note.replacingOccurrences(of: signature, with: altered))' "
                   + "WHERE num = 2")
        assertFails(try verify(), first: "checkpoint 2")
    }

    func testTextWithANULInsideIsReadWhole() throws {
        try tamper("UPDATE events SET reason = 'fine' || char(0) || 'forged' WHERE seq = 17")
        assertFails(try verify(), first: "event 17 does not match")
    }

    func testALogRewrittenAndResignedIsCaughtByACheckpointKeptElsewhere() throws {
        let keptElsewhere = try XCTUnwrap(log.checkpoints().dropFirst().first).note  // size 20
        // Rewrite event 3, rebuild the whole tree and re-sign every checkpoint with the same key.
        try tamper("""
            UPDATE events SET actor = 'PC-ROGUE' WHERE seq = 3;
            DELETE FROM ledger_hashes; DELETE FROM checkpoints;
            """)
        for event in try log.events() { try log.tree.appendLeaf(Merkle.leafHash(event.leafBytes), index: UInt64(event.seq)) }
        try log.checkpoint(signer: signer)
        XCTAssertTrue(try verify().isIntact, "a consistent rewrite signed with the key looks intact from inside")
        assertFails(try verify([("checkpoint file kept.cp", keptElsewhere)]),
                    first: "checkpoint file kept.cp (size 20) does not match the log")
    }
}
