import Catalog
import CustodyCore
import Foundation
import Ledger
import TestSupport
import XCTest
@testable import Vault

/// Court bundles' use cases (`Vault+Bundles.swift`): queue, list, show, revoke, each once allowed and
/// once refused, each refusal one refused `share` event that changes nothing.
extension UseCaseTableTests {
    func testBundleUseCases() throws {
        func ingest(_ name: String) throws -> Exhibit {
            try vault.ingest(path: TestPaths.fixture(name), source: IngestSource(filename: name, device: "BW2-1"),
                             actor: officer).exhibit
        }
        let inCase = try ingest("bodycam-a.mp4")
        let outside = try ingest("bodycam-b.mp4")
        _ = try vault.createCase("CPS/1", title: "Kestrel", by: officer)
        _ = try vault.addToCase("CPS/1", exhibits: [inCase.id], by: officer)
        let spec = [UInt8](try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("redaction-spec.json"))))
        func queue(_ by: Actor, case ref: String = "CPS/1", recipient: String = "j.smith@cps.gov.uk",
                   clips: [BundleClipRequest] = [], expires: Int64 = 86_400, max: Int64? = nil) throws
            -> BundleDetail {
            try vault.queueBundle(case: ref, recipient: recipient, clips: clips, expiresIn: expires, maxDownloads: max,
                                  by: by)
        }

        try assertRefused("bundle create", by: nobody, .share) { _ = try queue(nobody) }
        try assertRefused("bundle create by a dock", by: dock, .share) { _ = try queue(dock) }
        try assertRefused("bundle create of an unknown case", by: officer, .share) {
            _ = try queue(officer, case: "CPS/9")
        }
        try assertRefused("bundle create for a malformed recipient", by: officer, .share) {
            _ = try queue(officer, recipient: "j smith\n")
        }
        try assertRefused("bundle create expiring too soon", by: officer, .share) {
            _ = try queue(officer, expires: 59)
        }
        try assertRefused("bundle create expiring too late", by: officer, .share) {
            _ = try queue(officer, expires: 366 * 86_400)
        }
        try assertRefused("bundle create with no downloads allowed", by: officer, .share) {
            _ = try queue(officer, max: 0)
        }
        try assertRefused("bundle create of an exhibit outside the case", by: officer, .share) {
            _ = try queue(officer, clips: [BundleClipRequest(exhibit: outside.id)])
        }
        try assertRefused("bundle create of an unknown exhibit", by: officer, .share) {
            _ = try queue(officer, clips: [BundleClipRequest(exhibit: "EX-000042")])
        }
        try assertRefused("bundle create of one exhibit twice", by: officer, .share) {
            _ = try queue(officer, clips: [BundleClipRequest(exhibit: inCase.id),
                                           BundleClipRequest(exhibit: inCase.id)])
        }
        try assertRefused("bundle create with a broken spec", by: officer, .share) {
            do {
                _ = try queue(officer, clips: [BundleClipRequest(
                    exhibit: inCase.id, spec: Array("{\n  \"clip\": [0, \n".utf8), specName: "s.json")])
            } catch let e as CustodyError {
                XCTAssertTrue(e.message.contains("s.json") && e.message.contains("line 3, column 1"), e.message)
                throw e
            }
        }

        try assertAllowed("bundle create", records: [Self.row(officer, .share, .ok)]) {
            let queued = try queue(officer, max: 3)
            XCTAssertEqual(queued.bundle.id, "BN-000001")
            XCTAssertEqual(queued.items.map(\.exhibit), [inCase.id], "every exhibit of the case by default")
            XCTAssertEqual(queued.bundle.state, .queued)
        }
        let queued = try XCTUnwrap(try vault.events.events().last)
        XCTAssertEqual(queued.caseID, "CPS/1")
        XCTAssertEqual(queued.details, ["bundle": "BN-000001", "recipient": "j.smith@cps.gov.uk", "change": "queued",
                                        "exhibits": inCase.id])
        try assertAllowed("bundle create with a spec", records: [Self.row(officer, .share, .ok)]) {
            let queued = try queue(officer, clips: [BundleClipRequest(exhibit: inCase.id, spec: spec)])
            XCTAssertEqual(queued.items.first?.spec, spec)
        }

        try assertRefused("bundle list", by: nobody, .view) { _ = try vault.bundles(for: nobody) }
        try assertRefused("bundle list of an unknown case", by: officer, .view) {
            _ = try vault.bundles(caseRef: "CPS/9", for: officer)
        }
        try assertAllowed("bundle list", records: []) {
            XCTAssertEqual(try vault.bundles(caseRef: "cps/1", for: officer).map(\.id), ["BN-000002", "BN-000001"])
        }
        try assertRefused("bundle show", by: nobody, .view) { _ = try vault.bundleDetail("BN-000001", for: nobody) }
        try assertRefused("bundle show of an unknown bundle", by: officer, .view) {
            _ = try vault.bundleDetail("BN-000009", for: officer)
        }
        try assertAllowed("bundle show", records: []) {
            XCTAssertEqual(try vault.bundleDetail("bn-000001", for: officer).bundle.maxDownloads, 3)
        }

        try assertRefused("bundle revoke", by: nobody, .share) {
            _ = try vault.revokeBundle("BN-000001", reason: "sent to the wrong clerk", by: nobody)
        }
        try assertRefused("bundle revoke without a reason", by: officer, .share) {
            _ = try vault.revokeBundle("BN-000001", reason: "  ", by: officer)
        }
        try assertAllowed("bundle revoke", records: [Self.row(officer, .share, .ok)]) {
            let revoked = try vault.revokeBundle("BN-000001", reason: "sent to the wrong clerk", by: officer)
            XCTAssertNotNil(revoked.revokedAt)
            XCTAssertEqual(revoked.state, .failed, "a job not yet run is stopped")
            XCTAssertEqual(revoked.error, "revoked before it was built")
        }
        XCTAssertEqual(try vault.events.events().last?.details,
                       ["bundle": "BN-000001", "change": "revoked", "reason": "sent to the wrong clerk",
                        "job": "stopped"])
        try assertRefused("bundle revoke of a revoked bundle", by: officer, .share) {
            _ = try vault.revokeBundle("BN-000001", reason: "again", by: officer)
        }
    }
}
