import BundleFixture
import CourtBundle
import CustodyCore
import Foundation
import XCTest

/// Provenance that the key holder signed but that hides what the ledger says about a clip: a clip
/// created by a redaction shown with no parent or no spec, an exhibit listed twice, bundle.json naming
/// another checkpoint than the one its proofs lead to.
final class BundleProvenanceForgeryTests: BundleTestCase {
    private func forged(_ path: String, _ change: @escaping (inout [String: Any]) -> Void) throws -> BundleReport {
        var options = FixtureBundle.Options()
        options.alter = [path: { bytes in
            var object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
            change(&object)
            return Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data())
        }]
        return try verify(try makeBundle(options, name: "forged-\(UUID().uuidString).zip").1)
    }

    func testARedactedClipShownWithoutItsParentFails() throws {
        let report = try forged(BundleLayout.provenance("EX-000002")) { $0["parent"] = NSNull() }
        assertFails(report, .provenance, entry: BundleLayout.provenance("EX-000002"))
    }

    func testARedactedClipShownWithoutItsSpecFails() throws {
        let report = try forged(BundleLayout.provenance("EX-000002")) { $0["spec_sha256"] = NSNull() }
        assertFails(report, .provenance, entry: BundleLayout.provenance("EX-000002"))
    }

    func testAnExhibitListedTwiceFails() throws {
        let report = try forged(BundleLayout.bundleInfo) { info in
            info["exhibits"] = (info["exhibits"] as? [String] ?? []) + ["EX-000001"]
        }
        assertFails(report, .provenance, entry: BundleLayout.bundleInfo)
    }

    func testBundleJsonNamingAnotherCheckpointFails() throws {
        let size = try forged(BundleLayout.bundleInfo) { info in
            info["checkpoint_size"] = ((info["checkpoint_size"] as? Int) ?? 0) + 100
        }
        assertFails(size, .provenance, entry: BundleLayout.bundleInfo)
        let origin = try forged(BundleLayout.bundleInfo) { $0["origin"] = "another.example/log" }
        assertFails(origin, .provenance, entry: BundleLayout.bundleInfo)
    }
}
