import Catalog
import CustodyCore
import Foundation
import Ledger
import TestSupport
import Transfer
import Vault
import XCTest

/// A real vault in a temp dir with two small fixture videos (320x240, in 64 KiB chunks so a clip is
/// several chunks), one redacted into a derived exhibit, and bundles written from them.
final class BundleFixture: @unchecked Sendable {
    let officer = Actor.officer("PC-4471")
    let dir = TemporaryDirectory("bundle-writer")
    let vault: Vault
    let original: Exhibit
    let derived: Exhibit
    let other: Exhibit
    let spec: [UInt8]

    init() throws {
        let officer = self.officer
        let vault = try Vault.initialize(DataDirectory(root: dir.file("data")), org: "met.police.uk", actor: officer).0
        self.vault = vault
        func ingest(_ name: String) throws -> Exhibit {
            try vault.ingest(path: TestPaths.fixture(name),
                             source: IngestSource(filename: name, device: "BW2-1", capturedAt: "2026-12-01T09:00:00Z"),
                             actor: officer, chunkSize: 64 * 1024).exhibit
        }
        original = try ingest("bodycam-a.mp4")
        other = try ingest("bodycam-b.mp4")
        spec = Array(try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("redaction-spec.json"))))
        derived = try vault.redact(original, spec: spec, reason: "BN-000001", actor: officer).exhibit
        // An access after the redaction: the parent's events go on after its derived clip was made.
        _ = try vault.show(original.id, by: officer)
    }

    func request(_ id: String = "BN-000001", clips: [String]) -> BundleRequest {
        BundleRequest(id: id, caseRef: "CPS/2026/1187", caseTitle: "R v Example", recipient: "j.smith@cps.gov.uk",
                      createdBy: officer.id, createdAt: "2026-12-07T10:00:00.000Z",
                      expiresAt: "2026-12-21T10:00:00.000Z", clips: clips)
    }

    /// Writes a bundle to a new file in the temp dir.
    func write(_ request: BundleRequest, options: BundleWriter.Options = .init(),
               progress: ((Int64, Int64) -> Void)? = nil, isCancelled: (() -> Bool)? = nil)
        throws -> (path: String, built: BuiltBundle) {
        let path = dir.file("\(request.id)-\(UUID().uuidString.prefix(6)).zip")
        let built = try BundleWriter.write(request, vault: vault, to: path, options: options, progress: progress,
                                           isCancelled: isCancelled)
        return (path, built)
    }

    /// Unzips `zip` into a new folder and returns the bag's folder inside it.
    func unzip(_ zip: String, bag: String) throws -> String {
        let out = dir.file("x-\(UUID().uuidString.prefix(6))")
        let r = try runProcess(try XCTUnwrap(which("unzip")), ["-q", zip, "-d", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        return out + "/" + bag
    }
}
