import Catalog
import CustodyCore
import Crypto
import Foundation
import Ledger
import TestSupport
import XCTest
@testable import Vault

/// Retention with an injected clock: what is deleted, what is kept, which chunks a purge frees,
/// restore within 7 days and not after; verify and ledger verify pass after every run.
final class RetentionTests: XCTestCase {
    let officer = Actor.officer("PC-4471")
    let supervisor = Actor.officer("SUP-1")
    let day: Int64 = 86_400
    var dir: TemporaryDirectory!
    var vault: Vault!
    var clock: ManualClock!

    override func setUpWithError() throws {
        dir = TemporaryDirectory()
        vault = try Vault.initialize(DataDirectory(root: dir.file("data")), org: "test", actor: officer).0
        clock = ManualClock()
        vault.clock = clock.clock
        // `initialize` registered PC-4471, whom it was run as, as the first supervisor.
        _ = try vault.addOfficer("SUP-1", name: "Supervisor", role: .supervisor, by: officer)
        _ = try vault.addOfficer("AUD-1", name: "Auditor", role: .auditor, by: officer)
    }

    override func tearDown() {
        vault = nil
        dir?.remove()
    }

    /// A file of 64 KiB chunks, each from `blocks` (the same block number gives the same chunk), captured
    /// `capturedDaysAgo` days ago and ingested `ingestedDaysAgo` days ago (by default when captured: the
    /// vault's clock is moved back for the ingest, since a period counts from the later of the two).
    func ingest(_ name: String, blocks: [UInt8], capturedDaysAgo: Int64 = 40,
                ingestedDaysAgo: Int64? = nil) throws -> Exhibit {
        var bytes = [UInt8]()
        for b in blocks { bytes += [UInt8](repeating: b, count: 64 << 10) }
        let path = dir.file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return try ingest(file: path, name: name, capturedDaysAgo: capturedDaysAgo, ingestedDaysAgo: ingestedDaysAgo)
    }

    /// The file at `path`, as `ingest(_:blocks:capturedDaysAgo:ingestedDaysAgo:)` ingests its blocks.
    func ingest(file path: String, name: String, capturedDaysAgo: Int64 = 40,
                ingestedDaysAgo: Int64? = nil) throws -> Exhibit {
        let captured = Timestamp.rfc3339(Date(timeIntervalSince1970: Double(clock.now - capturedDaysAgo * day)))
        let back = Double((ingestedDaysAgo ?? capturedDaysAgo) * day)
        clock.advance(by: -back)
        defer { clock.advance(by: back) }
        return try vault.ingest(path: path, source: IngestSource(filename: name, device: "BW2-1", capturedAt: captured),
                                actor: officer, chunkSize: 64 << 10).exhibit
    }

    func chunkExists(_ block: UInt8) throws -> Bool {
        try vault.store.exists(SHA256.hash([UInt8](repeating: block, count: 64 << 10)))
    }

    /// Runs retention as the supervisor, then checks the vault and the ledger.
    @discardableResult
    func retain(file: StaticString = #filePath, line: UInt = #line) throws -> RetentionRunReport {
        let report = try vault.runRetention(by: supervisor)
        let verified = try vault.verify(actor: supervisor)
        XCTAssertTrue(verified.isIntact, "\(verified.damage) \(verified.ledgerProblems)", file: file, line: line)
        let ledger = try vault.verifyLedger(external: [], for: supervisor)
        XCTAssertTrue(ledger.problems.isEmpty, "\(ledger.problems)", file: file, line: line)
        return report
    }

    func live() throws -> [String] { try vault.exhibits(for: supervisor).map(\.id) }

    func testNothingHeldOrInAnOpenCaseIsEverDeleted() throws {
        let held = try ingest("held.bin", blocks: [1])
        let inOpen = try ingest("open.bin", blocks: [2])
        let inClosed = try ingest("closed.bin", blocks: [3])
        let plain = try ingest("plain.bin", blocks: [4])
        let young = try ingest("young.bin", blocks: [5], capturedDaysAgo: 10)
        _ = try vault.addHold(on: held.id, reason: "appeal pending", by: supervisor)
        _ = try vault.createCase("CPS/1", title: nil, by: officer)
        _ = try vault.createCase("CPS/2", title: nil, by: officer)
        _ = try vault.addToCase("CPS/1", exhibits: [inOpen.id], by: officer)
        _ = try vault.addToCase("CPS/2", exhibits: [inClosed.id], by: officer)

        XCTAssertEqual(try retain().deleted.map(\.exhibit.id), [plain.id])
        _ = try vault.setCaseClosed("CPS/2", true, by: supervisor)
        XCTAssertEqual(try retain().deleted.map(\.exhibit.id), [inClosed.id])
        for round in 0..<4 {
            clock.advance(by: Double(30 * day))
            XCTAssertEqual(try retain().deleted.map(\.exhibit.id), round == 0 ? [young.id] : [])
            XCTAssertEqual(try live(), [held.id, inOpen.id])
        }
        // The hold and the case end: then they go too.
        _ = try vault.removeHolds(on: held.id, reason: "appeal dismissed", by: supervisor)
        _ = try vault.setCaseClosed("CPS/1", true, by: supervisor)
        XCTAssertEqual(try retain().deleted.map(\.exhibit.id), [held.id, inOpen.id])
        XCTAssertEqual(try live(), [])
    }

    func testAHoldOnACaseKeepsItsExhibitsAfterItCloses() throws {
        let a = try ingest("a.bin", blocks: [1])
        _ = try vault.createCase("CPS/9", title: nil, by: officer)
        _ = try vault.addToCase("CPS/9", exhibits: [a.id], by: officer)
        _ = try vault.addHold(on: "CPS/9", reason: "public inquiry", by: supervisor)
        _ = try vault.setCaseClosed("CPS/9", true, by: supervisor)
        XCTAssertEqual(try retain().deleted.count, 0)
        XCTAssertEqual(try live(), [a.id])
    }

    func testAPurgeFreesExactlyTheChunksNoOtherExhibitUses() throws {
        let gone = try ingest("gone.bin", blocks: [1, 2, 2])          // chunk 1 shared, chunk 2 only its own
        let kept = try ingest("kept.bin", blocks: [1, 3])             // held
        let restorable = try ingest("later.bin", blocks: [4, 1], capturedDaysAgo: 27)  // due in 4 days
        _ = try vault.addHold(on: kept.id, reason: "appeal", by: supervisor)

        XCTAssertEqual(try retain().deleted.map(\.exhibit.id), [gone.id])
        XCTAssertTrue(try [1, 2, 3, 4].allSatisfy(chunkExists), "nothing is freed while it can be restored")
        clock.advance(by: Double(5 * day))
        XCTAssertEqual(try retain().deleted.map(\.exhibit.id), [restorable.id])
        clock.advance(by: Double(3 * day))  // gone: deleted 8 days ago; restorable: 3 days ago
        let report = try retain()
        XCTAssertEqual(report.purged.map(\.exhibit), [gone.id])
        XCTAssertEqual(report.purged.first?.chunks, 1)
        XCTAssertEqual(report.purged.first?.bytes, 64 << 10)
        XCTAssertFalse(try chunkExists(2))
        XCTAssertTrue(try [1, 3, 4].allSatisfy(chunkExists), "chunks a live or restorable exhibit uses stay")

        // The restorable one comes back whole, shared chunk included.
        _ = try vault.restore(restorable.id, by: supervisor)
        let out = dir.file("later-export.bin")
        _ = try vault.export(restorable.id, to: out, by: supervisor, reason: "check")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)),
                       try Data(contentsOf: URL(fileURLWithPath: dir.file("later.bin"))))
        XCTAssertThrowsError(try vault.restore(gone.id, by: supervisor)) {
            XCTAssertTrue(($0 as? CustodyError)?.message.contains("can no longer be restored") ?? false, "\($0)")
        }
        XCTAssertEqual(try vault.verify(actor: supervisor).purgedExhibits, 1)
        XCTAssertEqual(try vault.backup(to: dir.file("backup"), by: .system).missing, [],
                       "a purged exhibit's freed chunks are not missing from a backup")
    }

    func testRestoreWithinSevenDaysGivesABitIdenticalExportAndNotAfter() throws {
        let fixture = TestPaths.fixture("bodycam-a.mp4")
        let exhibit = try ingest(file: fixture, name: "a.mp4")
        let other = try ingest("other.bin", blocks: [9])
        XCTAssertEqual(Set(try retain().deleted.map(\.exhibit.id)), [exhibit.id, other.id])
        XCTAssertThrowsError(try vault.export(exhibit.id, to: dir.file("refused.mp4"), by: supervisor, reason: "x"))
        XCTAssertThrowsError(try vault.readVerified(exhibit) { _ in }, "a deleted exhibit's chunks are not read")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("refused.mp4")))

        clock.advance(by: Double(7 * day - 1))
        _ = try vault.restore(exhibit.id, by: supervisor)
        let out = dir.file("restored.mp4")
        _ = try vault.export(exhibit.id, to: out, by: supervisor, reason: "CPS request")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), try Data(contentsOf: URL(fileURLWithPath: fixture)))
        XCTAssertEqual(try vault.events.events(exhibit: exhibit.id).map(\.action), [.ingest, .delete, .restore, .export])

        clock.advance(by: 1)  // the other was deleted exactly 7 days ago
        XCTAssertThrowsError(try vault.restore(other.id, by: supervisor)) {
            XCTAssertTrue(($0 as? CustodyError)?.message.contains("can no longer be restored") ?? false, "\($0)")
        }
        XCTAssertEqual(try vault.events.events(exhibit: nil).last?.action, .restore)
        XCTAssertEqual(try vault.events.events(exhibit: nil).last?.outcome, .refused)
        try retain()
    }

    func testOnlyASupervisorRunsRetentionAndAnAuditorMayDryRun() throws {
        let a = try ingest("a.bin", blocks: [1])
        let auditor = Actor.officer("AUD-1")
        XCTAssertEqual(try vault.runRetention(by: auditor, dryRun: true).deleted.map(\.exhibit.id), [a.id])
        XCTAssertThrowsError(try vault.runRetention(by: auditor))
        let last = try XCTUnwrap(vault.events.events().last)
        XCTAssertEqual([last.action.rawValue, last.outcome.rawValue, last.actor.id], ["retention", "refused", "AUD-1"])
        XCTAssertEqual(try live(), [a.id], "a dry run and a refused run delete nothing")
        XCTAssertEqual(try vault.runRetention(by: .system).deleted.map(\.exhibit.id), [a.id])
    }

    func testLongestRuleWinsAndDerivedExhibitsFollowTheirParent() throws {
        func exhibit(_ n: Int, parent: Int? = nil, capturedDaysAgo: Int64 = 40) -> Exhibit {
            func sha(_ k: Int) -> SHA256Digest { SHA256.hash(Array("exhibit \(k)".utf8)) }
            let captured = Timestamp.rfc3339(Date(timeIntervalSince1970: Double(clock.now - capturedDaysAgo * day)))
            return Exhibit(id: Catalog.id(Int64(n)), sha256: sha(n), size: 1, chunkSize: 1, filename: nil,
                           device: "d", officer: "o", capturedAt: captured, ingestedAt: captured, status: .ok,
                           unreadableReason: nil, media: nil, parentSHA256: parent.map(sha), specSHA256: nil, spec: nil)
        }
        let sevenYears = RetentionRegistry.Category(name: "evidential", keepSeconds: 7 * 365 * day, createdAt: "",
                                                    createdBy: "")
        func facts(_ e: Exhibit, _ category: RetentionRegistry.Category? = nil, held: Bool = false,
                   deleted: Bool = false) -> RetentionFacts {
            RetentionFacts(exhibit: e, category: category, holds: held ? ["HD-000001 (x)"] : [], openCases: [],
                           deleted: deleted)
        }
        func verdicts(_ all: [RetentionFacts]) -> [String] {
            RetentionPlan.decide(all, now: clock.now).map {
                switch $0.verdict {
                case .keep: return "keep"
                case .delete: return "delete"
                case .deleted: return "deleted"
                }
            }
        }
        // A parent kept by its category keeps its clip; a due parent takes its clip along.
        XCTAssertEqual(verdicts([facts(exhibit(1), sevenYears), facts(exhibit(2, parent: 1))]), ["keep", "keep"])
        XCTAssertEqual(verdicts([facts(exhibit(1)), facts(exhibit(2, parent: 1))]), ["delete", "delete"])
        XCTAssertEqual(verdicts([facts(exhibit(1), deleted: true), facts(exhibit(2, parent: 1))]),
                       ["deleted", "delete"])
        // A held clip stays, and so does the original it was made from.
        XCTAssertEqual(verdicts([facts(exhibit(1)), facts(exhibit(2, parent: 1), held: true)]), ["keep", "keep"])
        // A clip categorised for longer than its parent outlives it.
        XCTAssertEqual(verdicts([facts(exhibit(1)), facts(exhibit(2, parent: 1), sevenYears)]), ["delete", "keep"])
        // An open case keeps an exhibit long past its period; the period ends 31 days after capture.
        let young = RetentionFacts(exhibit: exhibit(3, capturedDaysAgo: 400), category: nil, holds: [],
                                   openCases: ["CPS/1"], deleted: false)
        XCTAssertEqual(verdicts([young]), ["keep"])
        XCTAssertEqual(verdicts([facts(exhibit(4, capturedDaysAgo: 30))]), ["keep"])
        XCTAssertEqual(verdicts([facts(exhibit(4, capturedDaysAgo: 31))]), ["delete"])
    }
}
