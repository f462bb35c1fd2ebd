import CustodyCore
import Foundation
import Ledger
import Transfer
import Vault
import XCTest

/// The worker acts for the officer who queued the job, whose role is checked when it builds: the
/// bundle of an officer disabled since is not built, and the refusal is recorded against them.
extension TransferWorkerTests {
    func testTheJobOfAnOfficerDisabledSinceIsNotBuilt() throws {
        let queuer = Actor.officer("PC-2")
        _ = try vault.addOfficer("PC-2", name: "Jo", role: .evidenceOfficer, by: officer)
        let id = try vault.queueBundle(case: "CPS/1", recipient: "clerk@cps.gov.uk",
                                       clips: [BundleClipRequest(exhibit: exhibit.id)], expiresIn: 3600,
                                       maxDownloads: nil, by: queuer).bundle.id
        try vault.disableOfficer("PC-2", by: officer)
        let outcomes = try worker().runUntilIdle()
        guard case .failed(id, let error)? = outcomes.first else { return XCTFail("\(outcomes)") }
        XCTAssertTrue(error.contains("officer PC-2 is disabled"), error)
        XCTAssertFalse(FileManager.default.fileExists(atPath: vault.directory.bundleZip(id)))
        XCTAssertNotEqual(try vault.bundleDetail(id, for: officer).bundle.state, .done)
        let refused = try shareEvents().filter { $0.outcome == .refused }
        XCTAssertEqual(refused.map(\.actor), [queuer])
        XCTAssertEqual(refused.map(\.reason), ["officer PC-2 is disabled"])
    }
}
