import CustodyCore
import Foundation
import Transfer
import Vault
import XCTest

/// A worker whose lease was taken over (it lapsed while the worker still ran) changes nothing of the
/// job any more: the derived exhibit the new holder noted stays.
extension TransferWorkerTests {
    func testAWorkerThatLostItsLeaseCannotReplaceTheDerivedExhibitNoted() throws {
        let id = try queue(spec: try spec)
        let first = "other-host/4242-abc-0", second = "other-host/4343-def-0"
        XCTAssertNotNil(try vault.leaseBundleJob(owner: first, now: clock.now, leaseSeconds: 60))
        clock.advance(by: 61)
        XCTAssertNotNil(try vault.leaseBundleJob(owner: second, now: clock.now, leaseSeconds: 60))
        try vault.noteBundleDerived(id, owner: second, index: 0, derived: "EX-000002")
        XCTAssertThrowsError(try vault.noteBundleDerived(id, owner: first, index: 0, derived: "EX-000003"))
        XCTAssertEqual(try vault.bundleDetail(id, for: officer).items.first?.derived, "EX-000002")
    }
}

extension TransferWorkerTests {
    /// Revoked while its ZIP was written, before the heartbeat's next renewal: the ZIP is not published
    /// and the run is given back (nothing failed), not reported as a failed attempt.
    func testAJobRevokedJustBeforeItsPublishIsReleasedNotFailed() throws {
        let id = try queue()
        let directory = vault.directory
        let revoking = worker { request, vault, path, progress, isCancelled in
            let built = try TransferWorkerTests.trivialWriter(request, vault, path, progress, isCancelled)
            _ = try Vault(directory: directory).revokeBundle(id, reason: "wrong clerk", by: .officer("PC-1"))
            return built
        }
        XCTAssertEqual(try revoking.runUntilIdle(), [.released(id)])
        XCTAssertFalse(FileManager.default.fileExists(atPath: vault.directory.bundleZip(id)))
        XCTAssertEqual(try shareEvents().filter { $0.outcome == .failed }.count, 0)
    }
}
