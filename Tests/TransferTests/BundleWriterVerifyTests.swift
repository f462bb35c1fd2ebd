import BundleFixture
import CourtBundle
import Crypto
import CustodyCore
import Foundation
import TestSupport
import Transfer
import XCTest

/// End to end: a bundle the real `BundleWriter` wrote from a real vault (an original and a redacted
/// clip) verifies with the vault's ledger key, also written streamed and with ZIP64 forced; one
/// changed byte (its CRC-32) or one changed file in a rewritten ZIP (the manifests) fails, named;
/// another key fails the signature.
final class BundleWriterVerifyTests: XCTestCase {
    func testWrittenBundlesVerifyAndTamperingFailsNamed() throws {
        let fixture = try BundleFixture()
        defer { fixture.dir.remove() }
        let pem = try String(contentsOfFile: fixture.dir.file("data/keys/ledger.pub"), encoding: .utf8)
        let request = fixture.request(clips: [fixture.original.id, fixture.derived.id])
        let (path, built) = try fixture.write(request)
        let report = try BundleVerifier.verify(path: path, options: .init(keyPEM: pem))
        XCTAssertNil(report.failure, report.failure?.description ?? "")
        XCTAssertEqual(report.bundle, "BN-000001")
        XCTAssertEqual(report.caseRef, "CPS/2026/1187")
        XCTAssertEqual(report.checked["exhibits"], 2)
        XCTAssertEqual(report.checked["checkpoint_size"].map(UInt64.init), built.checkpointSize)
        for options in [BundleWriter.Options(hash: .streamed), BundleWriter.Options(zip: .init(forceZip64: true))] {
            let other = try fixture.write(request, options: options).path
            let r = try BundleVerifier.verify(path: other, options: .init(keyPEM: pem))
            XCTAssertNil(r.failure, r.failure?.description ?? "")
        }

        let entries = try ZipReader(path: path).entries
        let clip = try XCTUnwrap(entries.first { $0.name.hasPrefix("BN-000001/data/\(fixture.derived.id)_") })
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[Int(clip.dataOffset + clip.size / 2)] ^= 0x01
        let flipped = fixture.dir.file("flipped.zip")
        try bytes.write(to: URL(fileURLWithPath: flipped))
        let crc = try BundleVerifier.verify(path: flipped, options: .init(keyPEM: pem))
        XCTAssertEqual(crc.failure?.step, .zip)
        XCTAssertEqual(crc.failure?.entry, clip.name)

        let inner = [String(clip.name.dropFirst("BN-000001/".count)), BundleLayout.events, BundleLayout.checkpoint,
                     BundleLayout.provenance(fixture.original.id), "bag-info.txt"]
        for file in inner {
            let out = fixture.dir.file("rezipped.zip")
            try FixtureBundle.rezip(path, to: out, change: ["BN-000001/" + file: { b in
                var c = b
                c[c.count / 2] ^= 0x04
                return c
            }])
            let r = try BundleVerifier.verify(path: out, options: .init(keyPEM: pem))
            XCTAssertEqual(r.failure?.step, .bagit, file)
            XCTAssertEqual(r.failure?.entry, file)
        }
        let stranger = try Ed25519Key.generate().publicKeyPEM()
        let signature = try BundleVerifier.verify(path: path, options: .init(keyPEM: stranger)).failure
        XCTAssertEqual(signature?.step, .signature)
        XCTAssertEqual(signature?.entry, BundleLayout.signature)
    }
}
