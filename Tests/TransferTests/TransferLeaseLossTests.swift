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
