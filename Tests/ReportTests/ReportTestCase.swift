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

    /// A bundle of every exhibit of case `ref`, marked built (no ZIP is written), and downloaded once
    /// through its link from 192.0.2.7: a `download` event before the first byte and one after the last.
    func downloadedBundle(case ref: String) throws -> String {
        let recipient = "j.smith@cps.gov.uk"
        let id = try vault.queueBundle(case: ref, recipient: recipient, clips: [], expiresIn: 86_400, maxDownloads: 2,
                                       by: supervisor).bundle.id
        let expires = Date().addingTimeInterval(3600)
        try vault.db.transaction {
            try vault.bundleRegistry.markBuilt(id, size: 100, sha256: String(repeating: "ab", count: 32),
                                               checkpointSize: 1, builtAt: Timestamp.rfc3339(),
                                               expiresAt: Timestamp.rfc3339(expires))
        }
        let exp = Int64(expires.timeIntervalSince1970)
        let query = try vault.linkQuery(bundle: id, recipient: recipient, expires: exp)
        let sig = try XCTUnwrap(query.components(separatedBy: "&sig=").last)
        let link = DownloadLink(bundle: id, recipient: recipient, expires: String(exp), sig: sig)
        let opened = try vault.openLink(link, now: Int64(Date().timeIntervalSince1970))
        let part = DownloadPart(offset: 0, length: 100)
        try vault.startDownload(opened, part: part, details: ["remote": "192.0.2.7"])
        try vault.finishDownload(opened, part: part, sent: 100, complete: true, details: ["remote": "192.0.2.7"])
        return id
    }

    /// Every event of the ledger, oldest first.
    func allEvents() throws -> [CustodyEvent] { try vault.events.events() }
}
