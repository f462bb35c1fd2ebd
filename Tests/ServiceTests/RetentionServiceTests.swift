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

    func ingestOld(_ name: String, _ byte: UInt8) throws -> String {
        let path = try file(name, [UInt8](repeating: byte, count: 10_000))
        let captured = Timestamp.rfc3339(Date(timeIntervalSince1970: Double(clock.now - 40 * 86_400)))
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
