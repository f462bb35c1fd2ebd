import Catalog
import CustodyCore
import Foundation
import Ledger
import TestSupport
import XCTest
@testable import Service
@testable import Vault

/// `custody serve` runs retention once a day as custody itself, on its clock: a look before the day
/// is out runs nothing, a restart does not run it again early.
final class RetentionServiceTests: TusTestCase {
    let clock = ManualClock()

    override func configure(_ c: inout ServiceConfiguration) {
        c.clock = clock.clock
        c.retentionCheckInterval = 1_000_000  // only `retentionNow` looks
    }

    /// Ingests a file as it was 40 days ago (captured and ingested then, on the vault's clock).
    func ingestOld(_ name: String, _ byte: UInt8) throws -> String {
        let path = try file(name, [UInt8](repeating: byte, count: 10_000))
        let captured = Timestamp.rfc3339(Date(timeIntervalSince1970: Double(clock.now - 40 * 86_400)))
        vault.clock = ManualClock(now: clock.now - 40 * 86_400).clock
        return try vault.ingest(path: path, source: IngestSource(filename: name, device: "BW2-1", capturedAt: captured),
                                actor: .officer("PC-1")).exhibit.id
    }

    func testServeRunsRetentionDailyAsCustodyItself() throws {
        let first = try ingestOld("a.bin", 1)
        service.retentionNow()
        XCTAssertEqual(try vault.exhibits(for: .officer("PC-1")).map(\.id), [])
        let deletion = try XCTUnwrap(vault.events.events(exhibit: first).last)
        XCTAssertEqual(deletion.action, .delete)
        XCTAssertEqual(deletion.outcome, .ok)
        XCTAssertEqual(deletion.actor, .system)

        let second = try ingestOld("b.bin", 2)
        clock.advance(by: 86_399)
        service.retentionNow()
        XCTAssertEqual(try vault.exhibits(for: .officer("PC-1")).map(\.id), [second], "not a day since the last run")
        clock.advance(by: 1)
        service.retentionNow()
        XCTAssertEqual(try vault.exhibits(for: .officer("PC-1")).map(\.id), [])
        XCTAssertTrue(try vault.verify(actor: .officer("PC-1")).isIntact)
    }
}

/// A dock re-sending a recording retention has purged: its upload brings the exhibit back (a `restore`
/// event of the dock's) instead of answering "duplicate" of an exhibit nobody can read, after which
/// the dock deletes its copy.
final class RetentionReuploadTests: TusTestCase {
    let clock = ManualClock()

    override func configure(_ c: inout ServiceConfiguration) {
        c.clock = clock.clock
        c.retentionCheckInterval = 1_000_000  // only `retentionNow` looks
    }

    func testADockUploadingAPurgedRecordingAgainBringsItBack() throws {
        let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let path = try file("a.bin", bytes)
        vault.clock = ManualClock(now: clock.now - 40 * 86_400).clock
        let gone = try vault.ingest(path: path, source: IngestSource(filename: "a.bin", device: "BW2-1"),
                                    actor: .officer("PC-1")).exhibit
        service.retentionNow()
        clock.advance(by: 8 * 86_400)
        service.retentionNow()
        XCTAssertNotNil(try vault.deletionRegistry.deletion(of: gone.id)?.purgedAt)

        let created = try curl("POST", "", token: token1, headers: [
            "Upload-Length: \(bytes.count)", "Content-Type: application/offset+octet-stream",
            metadata(["filename": "a.bin", "device": "BW2-1"]),
        ], body: path)
        XCTAssertEqual(created.status, 201, created.body)
        XCTAssertEqual(try vault.exhibits(for: .officer("PC-1")).map(\.id), [gone.id])
        let out = dir.file("out.bin")
        _ = try vault.export(gone.id, to: out, by: .officer("PC-1"), reason: "check")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), Data(bytes))
        let restore = try XCTUnwrap(vault.events.events(exhibit: gone.id).last { $0.action == .restore })
        XCTAssertEqual(restore.actor, .device("dock-1"))
        XCTAssertEqual(restore.details["via"], "ingest")
        XCTAssertTrue(try vault.verify(actor: .officer("PC-1")).isIntact)
    }
}
