import Catalog
import CustodyCore
import Foundation
import Ledger
import TestSupport
import XCTest
@testable import Vault

/// A fresh vault with a registered supervisor, and helpers to ingest fixtures and register officers.
class ReportTestCase: XCTestCase {
    let supervisor = Actor.officer("PC-4471")
    var dir: TemporaryDirectory!
    var vault: Vault!

    override func setUpWithError() throws {
        dir = TemporaryDirectory("custody-report")
        vault = try Vault.initialize(DataDirectory(root: dir.file("data")), org: "met.police.uk",
                                     actor: supervisor).0
        _ = try register(supervisor.id, .supervisor)
    }

    override func tearDown() {
        vault = nil
        dir?.remove()
    }

    /// Registers officer `id` with `role` (unless registered already) and returns them as an actor.
    func register(_ id: String, _ role: Role) throws -> Actor {
        if try vault.officerRegistry.officer(id) == nil {
            _ = try vault.addOfficer(id, name: "Officer \(id)", role: role, by: .system)
        }
        return .officer(id)
    }

    /// Ingests a fixture recorded by `officer`, under `filename`.
    func ingest(_ fixture: String, filename: String? = nil, officer: String? = nil) throws -> Exhibit {
        try vault.ingest(path: TestPaths.fixture(fixture),
                         source: IngestSource(filename: filename ?? fixture, device: "BW2-000417",
                                              capturedAt: "2026-12-01T09:00:00Z", officer: officer),
                         actor: supervisor, chunkSize: 64 << 10).exhibit
    }

    /// Every event of the ledger, oldest first.
    func allEvents() throws -> [CustodyEvent] { try vault.events.events() }
}
