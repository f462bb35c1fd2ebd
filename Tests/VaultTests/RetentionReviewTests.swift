import Catalog
import CustodyCore
import Foundation
import XCTest
@testable import Vault

/// The security review's retention scenarios that fail (each asserts what must hold).
extension RetentionTests {
    /// The same recording ingested again after retention deleted and purged it (a card read again, a
    /// dock re-sending, an officer told the evidence is needed after all): `catalogue` finds the deleted
    /// exhibit by its SHA-256 and answers "duplicate", so the ingest succeeds but nothing is stored
    /// that anyone can read: the exhibit stays deleted and purged, the chunks just written are orphans.
    func testIngestingThePurgedBytesAgainStoresAnExhibitThatCanBeRead() throws {
        let gone = try ingest("gone.bin", blocks: [7, 8])
        XCTAssertEqual(try retain().deleted.map(\.exhibit.id), [gone.id])
        clock.advance(by: Double(8 * day))
        XCTAssertEqual(try retain().purged.map(\.exhibit), [gone.id])
        XCTAssertFalse(try chunkExists(7))

        let again = try ingest("gone.bin", blocks: [7, 8], capturedDaysAgo: 1)
        XCTAssertTrue(try live().contains(again.id), "the ingest answered \(again.id), which is not live")
        let out = dir.file("again-export.bin")
        XCTAssertNoThrow(try vault.export(again.id, to: out, by: supervisor, reason: "check"),
                         "the bytes just ingested cannot be exported")
    }

    /// Within the restore window the same happens silently: the re-ingest is a "duplicate" of a
    /// deleted exhibit, hidden from list, and purged 7 days later with the bytes just sent.
    func testIngestingTheBytesOfADeletedExhibitAgainMakesItLive() throws {
        let gone = try ingest("gone.bin", blocks: [5])
        XCTAssertEqual(try retain().deleted.map(\.exhibit.id), [gone.id])
        let again = try ingest("gone.bin", blocks: [5], capturedDaysAgo: 1)
        XCTAssertTrue(try live().contains(again.id), "the ingest answered \(again.id), which is deleted")
    }

    /// A camera whose clock reset (a flat battery: 1970) or a dock that sends `captured_at` long past:
    /// retention counts the period from that capture time, so a recording ingested today is due at the
    /// next run (`custody serve` runs it by itself), before anyone could categorise or hold it.
    func testARecordingIngestedTodayIsNotDeletedBecauseItsCameraClockWasWrong() throws {
        let reset = try ingest("reset-clock.bin", blocks: [6], capturedDaysAgo: clock.now / day, ingestedDaysAgo: 0)
        XCTAssertEqual(try retain().deleted.map(\.exhibit.id), [], "\(reset.id), ingested today, was deleted")
        XCTAssertTrue(try live().contains(reset.id))
    }

    /// A case closed, its exhibit deleted by retention; within the 7 days the case is reopened (an
    /// appeal) and held. `addHold` accepts the hold on the case, but the purge never asks about holds or
    /// open cases: the held case's exhibit is purged, its chunks freed.
    func testAHoldPlacedOnACaseWithinTheRestoreWindowStopsThePurgeOfItsDeletedExhibit() throws {
        let e = try deletedInClosedCase("CPS/7", "appeal.bin", block: 9)
        clock.advance(by: Double(2 * day))
        _ = try vault.setCaseClosed("CPS/7", false, by: supervisor)
        _ = try vault.addHold(on: "CPS/7", reason: "appeal lodged", by: supervisor)
        clock.advance(by: Double(6 * day))
        XCTAssertEqual(try retain().purged.map(\.exhibit), [], "the held, reopened case's exhibit was purged")
        XCTAssertTrue(try chunkExists(9))
    }

    /// A run lists the deletions due to be purged, then purges them one by one; an exhibit restored in between
    /// (a dock sending its bytes again, past the window of `custody restore`) must not be recorded as purged: that entry would
    /// stand in the ledger for good beside a live exhibit.
    func testAnExhibitRestoredAfterTheRunListedItIsNotPurged() throws {
        let gone = try ingest("restored-meanwhile.bin", blocks: [4])
        XCTAssertEqual(try retain().deleted.map(\.exhibit.id), [gone.id])
        clock.advance(by: Double(8 * day))
        vault.beforePurge = { [self] _ in _ = try ingest("restored-meanwhile.bin", blocks: [4], capturedDaysAgo: 1) }
        let run = try retain()
        vault.beforePurge = nil
        XCTAssertEqual(run.purged.map(\.exhibit), [], "a restored exhibit reported purged")
        XCTAssertTrue(try chunkExists(4))
        let stages = try vault.events.events(exhibit: gone.id).filter { $0.action == .delete }.map { $0.details["stage"] }
        XCTAssertFalse(stages.contains("purge"), "no purge recorded: \(stages)")
        // Restored with its old times, it is still due: the same run deleted it again, restorable for 7 days.
        XCTAssertEqual(stages, ["delete", "delete"])
        XCTAssertNil(try vault.deletionRegistry.deletion(of: gone.id)?.purgedAt)
    }
}

/// What the fixes for the review's retention findings promise beyond its tests.
extension RetentionTests {
    /// An exhibit of one `block` in case `ref`, which is closed; then a run deletes the exhibit.
    func deletedInClosedCase(_ ref: String, _ name: String, block: UInt8, file: StaticString = #filePath,
                             line: UInt = #line) throws -> Exhibit {
        let e = try ingest(name, blocks: [block])
        _ = try vault.createCase(ref, title: nil, by: officer)
        _ = try vault.addToCase(ref, exhibits: [e.id], by: officer)
        _ = try vault.setCaseClosed(ref, true, by: supervisor)
        XCTAssertEqual(try retain().deleted.map(\.exhibit.id), [e.id], file: file, line: line)
        return e
    }

    /// Bytes of a purged exhibit cut into other chunks than it was cannot bring it back (its chunk list
    /// is in the ledger): refused, naming the chunk size; with that size it comes back, recorded.
    func testAPurgedExhibitComesBackOnlyFromBytesCutAsBefore() throws {
        let gone = try ingest("gone.bin", blocks: [3, 4])
        try retain()
        clock.advance(by: Double(8 * day))
        XCTAssertEqual(try retain().purged.map(\.exhibit), [gone.id])
        let path = dir.file("gone.bin")
        let source = IngestSource(filename: "gone.bin", device: "BW2-1")
        XCTAssertThrowsError(try vault.ingest(path: path, source: source, actor: officer, chunkSize: 32 << 10)) {
            XCTAssertTrue(($0 as? CustodyError)?.message.contains("--chunk-size 65536") ?? false, "\($0)")
        }
        XCTAssertFalse(try live().contains(gone.id))
        let again = try vault.ingest(path: path, source: source, actor: officer, chunkSize: 64 << 10)
        XCTAssertEqual(again.exhibit.id, gone.id)
        XCTAssertNotNil(again.restored?.purgedAt)
        XCTAssertEqual(try vault.events.events(exhibit: gone.id).suffix(2).map(\.action), [.restore, .ingest])
        try retain()  // verify and ledger verify pass; still due, so it is deleted again (restorable)
        XCTAssertTrue(try chunkExists(3))
    }

    /// A hold that reached a deleted exhibit's case without restoring it (written by an older version,
    /// or any other way): the run decides again before it purges, and restores the exhibit instead.
    func testAPurgeDecidesAgainAndRestoresWhatAHoldKeeps() throws {
        let e = try deletedInClosedCase("CPS/9", "held-late.bin", block: 2)
        _ = try vault.holdRegistry.add(.case("CPS/9"), reason: "appeal", by: supervisor)
        clock.advance(by: Double(8 * day))
        let dry = try vault.runRetention(by: supervisor, dryRun: true)
        XCTAssertEqual(dry.restored.map(\.exhibit), [e.id])
        XCTAssertNotNil(try vault.deletionRegistry.deletion(of: e.id), "a dry run restores nothing")
        let report = try retain()
        XCTAssertEqual(report.purged.map(\.exhibit), [])
        XCTAssertEqual(report.restored.map(\.exhibit), [e.id])
        XCTAssertTrue(report.restored[0].why.hasPrefix("on hold: HD-"), report.restored[0].why)
        XCTAssertTrue(try live().contains(e.id))
        XCTAssertTrue(try chunkExists(2))
        XCTAssertEqual(try vault.events.events(exhibit: e.id).last?.action, .restore)
    }

    /// Reopening a closed case brings back its deleted exhibits at once (recorded), before any run.
    func testReopeningACaseRestoresItsDeletedExhibits() throws {
        let e = try deletedInClosedCase("CPS/8", "reopened.bin", block: 1)
        _ = try vault.setCaseClosed("CPS/8", false, by: supervisor)
        XCTAssertTrue(try live().contains(e.id))
        let restore = try XCTUnwrap(vault.events.events(exhibit: e.id).last)
        XCTAssertEqual(restore.action, .restore)
        XCTAssertEqual(restore.details["kept"], "in open case CPS/8")
    }

    /// The run lists exhibits captured more than a day from their ingest, whose period counts from the
    /// later: a camera clock to check.
    func testARunListsCaptureTimesFarFromTheIngest() throws {
        let reset = try ingest("reset.bin", blocks: [6], capturedDaysAgo: clock.now / day, ingestedDaysAgo: 0)
        let late = try ingest("docked-late.bin", blocks: [7], capturedDaysAgo: 3, ingestedDaysAgo: 0)
        let usual = try ingest("usual.bin", blocks: [8], capturedDaysAgo: 0)
        let report = try vault.runRetention(by: supervisor, dryRun: true)
        XCTAssertEqual(report.captureFarFromIngest.map(\.id), [reset.id, late.id])
        XCTAssertFalse(report.captureFarFromIngest.map(\.id).contains(usual.id))
        XCTAssertEqual(report.deleted.map(\.exhibit.id), [])
    }
}
