import CustodyCore
import Foundation
import Transfer
import Vault
import XCTest

/// A worker killed after renaming its ZIP into `bundles/` but before the transaction that marks the
/// job built committed leaves a ZIP no row claims. The job's next attempt renames over it; when the job
/// has no next attempt (given up, or revoked), the ZIP must not stay behind.
extension TransferWorkerTests {
    /// Leases job `id` as a worker elsewhere and leaves a published ZIP, as one killed before its commit.
    private func leaseAndPublishThenDie(_ id: String, owner: String) throws {
        XCTAssertEqual(try vault.leaseBundleJob(owner: owner, now: clock.now, leaseSeconds: 60)?.bundle.id, id)
        try vault.directory.makeBundlesFolder()
        try Data("orphan\n".utf8).write(to: URL(fileURLWithPath: vault.directory.bundleZip(id)))
    }

    func testARevokedJobLeavesNoZipItsDeadWorkerPublished() throws {
        let id = try queue()
        try leaseAndPublishThenDie(id, owner: "other-host/4242-abc-0")
        _ = try vault.revokeBundle(id, reason: "wrong clerk", by: officer)
        XCTAssertFalse(FileManager.default.fileExists(atPath: vault.directory.bundleZip(id)))
    }

    func testAJobGivenUpAfterItsLastLeaseLapsedLeavesNoZip() throws {
        let id = try queue()
        for attempt in 1...5 {
            try leaseAndPublishThenDie(id, owner: "other-host/4242-abc-\(attempt)")
            clock.advance(by: 61)
            XCTAssertNil(try vault.leaseBundleJob(owner: "third/1-a-0", now: clock.now, leaseSeconds: 60,
                                                  only: "BN-999999"))
        }
        XCTAssertEqual(try vault.bundleDetail(id, for: officer).bundle.state, .failed)
        XCTAssertFalse(FileManager.default.fileExists(atPath: vault.directory.bundleZip(id)))
    }

    func testAFailedAttemptLeavesNoZipAtItsName() throws {
        let id = try queue()
        let zip = vault.directory.bundleZip(id)
        let failing = worker { _, vault, _, _, _ in
            // As a publish whose transaction then failed: the ZIP in place, no built row.
            try vault.directory.makeBundlesFolder()
            try Data("orphan\n".utf8).write(to: URL(fileURLWithPath: zip))
            throw CustodyError.failure("disk on fire")
        }
        for _ in 1...5 {
            XCTAssertEqual(try failing.runUntilIdle(), [.failed(id, error: "disk on fire")])
            XCTAssertFalse(FileManager.default.fileExists(atPath: zip))
            clock.advance(by: 3600)
        }
    }
}
