import BundleFixture
import CourtBundle
import Crypto
import CustodyCore
import Foundation
import XCTest

/// A bag whose tag files end their lines with CR LF (as a bagger on Windows writes them) is a valid
/// bag (RFC 8493 allows CR, LF or CR LF), signed like any other.
final class BundleCRLFTests: BundleTestCase {
    func testManifestsAndBagInfoWithCRLFLinesVerify() throws {
        let (fixture, path) = try makeBundle()
        let top = "BN-000001/"
        let reader = try ZipReader(path: path)
        func crlf(_ bytes: [UInt8]) -> [UInt8] { bytes.flatMap { $0 == 0x0A ? [0x0D, 0x0A] : [$0] } }
        func original(_ name: String) throws -> [UInt8] {
            try reader.contents(try XCTUnwrap(reader.entries.first { $0.name == top + name }), limit: 1 << 20)
        }
        // bag-info.txt and the payload manifest change, so the tag manifest lists their new hashes.
        var changed = [String: [UInt8]]()
        for name in ["bag-info.txt", "manifest-sha256.txt"] { changed[name] = crlf(try original(name)) }
        var tags = String(decoding: try original("tagmanifest-sha256.txt"), as: UTF8.self)
        for (name, bytes) in changed {
            tags = tags.replacingOccurrences(of: SHA256Hex.of(try original(name)), with: SHA256Hex.of(bytes))
        }
        let manifest = crlf(Array(tags.utf8))
        let signature = try fixture.ledgerKey.sign(manifest)
        let out = dir.file("crlf.zip")
        try FixtureBundle.rezip(path, to: out, change: [
            top + "bag-info.txt": { _ in changed["bag-info.txt"]! },
            top + "manifest-sha256.txt": { _ in changed["manifest-sha256.txt"]! },
            top + "tagmanifest-sha256.txt": { _ in manifest },
            top + BundleLayout.signature: { _ in signature },
        ])
        let report = try verify(out)
        XCTAssertNil(report.failure, report.failure?.description ?? "")
    }
}

private enum SHA256Hex {
    static func of(_ bytes: [UInt8]) -> String { Crypto.SHA256.hash(bytes).hex }
}
