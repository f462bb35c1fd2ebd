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
        let reset = try ingest("reset-clock.bin", blocks: [6], capturedDaysAgo: clock.now / day)
        XCTAssertEqual(try retain().deleted.map(\.exhibit.id), [], "\(reset.id), ingested today, was deleted")
        XCTAssertTrue(try live().contains(reset.id))
    }

    /// A case closed, its exhibit deleted by retention; within the 7 days the case is reopened (an
    /// appeal) and held. `addHold` accepts the hold on the case, but the purge never asks about holds or
    /// open cases: the held case's exhibit is purged, its chunks freed.
    func testAHoldPlacedOnACaseWithinTheRestoreWindowStopsThePurgeOfItsDeletedExhibit() throws {
        let e = try ingest("appeal.bin", blocks: [9])
        _ = try vault.createCase("CPS/7", title: nil, by: officer)
        _ = try vault.addToCase("CPS/7", exhibits: [e.id], by: officer)
        _ = try vault.setCaseClosed("CPS/7", true, by: supervisor)
        XCTAssertEqual(try retain().deleted.map(\.exhibit.id), [e.id])
        clock.advance(by: Double(2 * day))
        _ = try vault.setCaseClosed("CPS/7", false, by: supervisor)
        _ = try vault.addHold(on: "CPS/7", reason: "appeal lodged", by: supervisor)
        clock.advance(by: Double(6 * day))
        XCTAssertEqual(try retain().purged.map(\.exhibit), [], "the held, reopened case's exhibit was purged")
        XCTAssertTrue(try chunkExists(9))
    }
}
