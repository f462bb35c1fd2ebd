import Catalog
import CustodyCore
import Foundation
import Ledger
import TestSupport
import XCTest
@testable import Vault

/// The role gate's edges: a permission an officer has on their own recordings only fails closed when
/// no recording is named, and the ID refusals are recorded under (`unauthenticated`) is no one's.
final class RoleGateTests: XCTestCase {
    let supervisor = Actor.officer("sgt.1")
    let officer = Actor.officer("PC-2")
    var dir: TemporaryDirectory!
    var vault: Vault!

    override func setUpWithError() throws {
        dir = TemporaryDirectory("role-gate")
        vault = try Vault.initialization(DataDirectory(root: dir.file("data")), org: "t", actor: supervisor).vault
        _ = try vault.addOfficer(officer.id, name: "PC Two", role: .officer, by: supervisor)
        _ = try vault.addOfficer("EO-3", name: "EO Three", role: .evidenceOfficer, by: supervisor)
    }

    override func tearDown() {
        vault = nil
        dir?.remove()
    }

    /// Ingests a small file as the supervisor, recorded by officer `wearer`.
    func recording(_ text: String, by wearer: String) throws -> Exhibit {
        let path = dir.file("\(text).bin")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return try vault.ingest(path: path, source: IngestSource(filename: text, device: "BW2-1", officer: wearer),
                                actor: supervisor).exhibit
    }

    func testOwnOnlyReachWithNoRecordingNamedIsRefusedAndRecorded() throws {
        let own = try recording("own", by: officer.id)
        let others = try recording("others", by: "PC-9")
        let ownOnly = Permission.allCases.filter { RolePolicy.reach(.officer, $0) == .own }
        XCTAssertEqual(Set(ownOnly), [.listExhibits, .showExhibit, .exportExhibit, .report])
        for permission in ownOnly {
            let before = try vault.events.count()
            XCTAssertThrowsError(try vault.authorize(officer, to: permission)) { error in
                XCTAssertEqual((error as? CustodyError)?.kind, .refused, "\(permission)")
            }
            let recorded = try vault.events.events(from: before)
            XCTAssertEqual(recorded.map(\.outcome), [.refused], "\(permission): one refusal, recorded")
            XCTAssertEqual(recorded.first?.actor, officer)
            XCTAssertEqual(recorded.first?.action, permission.action)
            XCTAssertEqual(recorded.first?.reason, "an officer may only \(permission.phrase) they recorded, and no "
                           + "recording was named")

            // Their own recording goes through; another's does not; nor does anything for a use case that
            // does not itself keep to their own, while one that does (the listing) goes on.
            XCTAssertNoThrow(try vault.authorize(officer, to: permission, exhibit: own), "\(permission)")
            XCTAssertThrowsError(try vault.authorize(officer, to: permission, exhibit: others), "\(permission)")
            XCTAssertNoThrow(try vault.authorize(officer, to: permission, filteredToOwn: true), "\(permission)")
            // A role that reaches all needs no exhibit named.
            XCTAssertNoThrow(try vault.authorize(.officer("EO-3"), to: permission), "\(permission)")
        }
        XCTAssertEqual(try vault.exhibits(for: officer).map(\.id), [own.id], "the listing keeps to their own")
    }

    func testUnauthenticatedIsNoOfficersDocksOrRecipients() throws {
        let fresh = DataDirectory(root: dir.file("fresh"))
        for id in ["unauthenticated", "Unauthenticated"] {
            XCTAssertThrowsError(try Vault.initialization(fresh, org: "t", actor: .officer(id))) { error in
                XCTAssertEqual((error as? CustodyError)?.kind, .invalidInput(field: "--as"))
                XCTAssertTrue("\(error)".contains("officer ID \(id) is reserved"), "\(error)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: fresh.root), "nothing made")

            let before = try vault.events.count()
            XCTAssertThrowsError(try vault.addOfficer(id, name: "N", role: .officer, by: supervisor)) { error in
                XCTAssertTrue("\(error)".contains("officer ID \(id) is reserved"), "\(error)")
            }
            XCTAssertThrowsError(try vault.addDevice(id, by: supervisor)) { error in
                XCTAssertTrue("\(error)".contains("device name \(id) is reserved"), "\(error)")
            }
            XCTAssertEqual(try vault.events.events(from: before).map { "\($0.action.rawValue) \($0.outcome.rawValue)" },
                           ["officer refused", "device refused"], "both refusals recorded")
            XCTAssertNil(try vault.officerRegistry.officer(id))
        }
    }
}
