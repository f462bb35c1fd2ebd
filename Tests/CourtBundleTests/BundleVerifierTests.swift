import BundleFixture
import CourtBundle
import Crypto
import CustodyCore
import Foundation
import Ledger
import TestSupport
import XCTest

final class BundleVerifierTests: BundleTestCase {
    let top = "BN-000001/"

    func testIntactBundleVerifiesWithItsOwnKeyAndSaysSo() throws {
        let (fixture, path) = try makeBundle()
        let report = try verify(path)
        XCTAssertNil(report.failure, report.failure?.description ?? "")
        XCTAssertEqual(report.bundle, "BN-000001")
        XCTAssertEqual(report.caseRef, "CPS/2026/1187")
        XCTAssertEqual(report.keySource, .bundle)
        XCTAssertEqual(report.keyFingerprint, BundleVerifier.fingerprint(try fixture.ledgerKey.publicBytes()))
        XCTAssertEqual(report.checked["exhibits"], 2)
        XCTAssertEqual(report.checked["payload_files"], 3)
        XCTAssertEqual(report.checked["events"], 3, "ingest, the source read, the redaction; not the unrelated ones")
        XCTAssertEqual(report.checked["checkpoint_size"], 6)
    }

    func testTheSignersKeyGivenVerifiesAndAnyOtherFailsTheSignature() throws {
        let (fixture, path) = try makeBundle()
        let own = try verify(path, .init(keyPEM: try fixture.ledgerKey.publicKeyPEM()))
        XCTAssertTrue(own.ok, own.failure?.description ?? "")
        XCTAssertEqual(own.keySource, .option)
        let other = try verify(path, .init(keyPEM: try Ed25519Key.generate().publicKeyPEM()))
        assertFails(other, .signature, entry: BundleLayout.signature)
    }

    func testABundleResignedWithAnotherKeyFailsAgainstTheLedgerKey() throws {
        var options = FixtureBundle.Options()
        options.signatureKey = try Ed25519Key.generate()
        let (fixture, path) = try makeBundle(options)
        assertFails(try verify(path), .signature, entry: BundleLayout.signature)
        assertFails(try verify(path, .init(keyPEM: try fixture.ledgerKey.publicKeyPEM())), .signature,
                    entry: BundleLayout.signature)
    }

    func testForcedZip64BundleVerifies() throws {
        var options = FixtureBundle.Options()
        options.forceZip64 = true
        let (_, path) = try makeBundle(options)
        let raw = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertNotNil(raw.range(of: Data([0x50, 0x4B, 0x06, 0x06])), "a ZIP64 end record")
        let report = try verify(path)
        XCTAssertTrue(report.ok, report.failure?.description ?? "")
    }

    /// Entries streamed with data descriptors (ZIP64 sizes in them): read and checked the same way, and a
    /// descriptor whose CRC-32 differs from the central directory's is named.
    func testStreamedEntriesWithDataDescriptorsVerify() throws {
        var options = FixtureBundle.Options()
        options.streamed = true
        let (_, path) = try makeBundle(options)
        let report = try verify(path)
        XCTAssertTrue(report.ok, report.failure?.description ?? "")
        let entry = try ZipReader(path: path).entries[2]
        let descriptorCRC = entry.dataOffset + entry.size + 4
        assertFails(try verify(try copy(path, flippingByteAt: descriptorCRC)), .zip, entry: entry.name)
    }

    /// One byte changed in the data of any entry: its CRC-32 names it before anything else is read.
    func testAByteChangedInAnyEntryIsNamedByItsCRC() throws {
        let (_, path) = try makeBundle()
        let entries = try ZipReader(path: path).entries.filter { $0.size > 0 }
        XCTAssertGreaterThan(entries.count, 15)
        for entry in entries {
            let tampered = try copy(path, flippingByteAt: entry.dataOffset + entry.size / 2)
            let report = try verify(tampered)
            XCTAssertEqual(report.failure?.step, .zip, entry.name)
            XCTAssertEqual(report.failure?.entry, entry.name)
            XCTAssertTrue(report.failure?.message.contains("CRC-32") ?? false, report.failure?.description ?? "")
        }
    }

    /// The same change with every CRC-32 right (the ZIP written again): the manifests name the file,
    /// and a changed signature fails as a signature.
    func testAChangedFileInARewrittenZipIsNamedByTheManifests() throws {
        let (_, path) = try makeBundle()
        let paths = ["data/EX-000001_cam_1.mp4", "data/README.txt", BundleLayout.events, BundleLayout.proof(seq: 1),
                     BundleLayout.checkpoint, "bag-info.txt", BundleLayout.provenance("EX-000002"),
                     BundleLayout.spec("EX-000002"), BundleLayout.verifierKey, "manifest-sha256.txt"]
        for inner in paths {
            let out = dir.file("rezipped.zip")
            try FixtureBundle.rezip(path, to: out, change: [top + inner: { bytes in
                var b = bytes
                b[b.count / 2] ^= 0x04
                return b
            }])
            assertFails(try verify(out), .bagit, entry: inner)
        }
        let out = dir.file("resigned.zip")
        try FixtureBundle.rezip(path, to: out, change: [top + BundleLayout.signature: { bytes in
            var b = bytes
            b[9] ^= 1
            return b
        }])
        assertFails(try verify(out), .signature, entry: BundleLayout.signature)
        // The same hashes with a hex digit in upper case: the bag is fine, but not the signed bytes.
        try FixtureBundle.rezip(path, to: out, change: [top + "tagmanifest-sha256.txt": { bytes in
            var b = bytes
            let letter = b.firstIndex { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f") }!
            b[letter] -= 0x20
            return b
        }])
        assertFails(try verify(out), .signature, entry: BundleLayout.signature)
    }

    func testHeaderAndDirectoryTamperingIsAZipFailure() throws {
        let (_, path) = try makeBundle()
        let reader = try ZipReader(path: path)
        let entry = reader.entries[3]
        let localCRC = try copy(path, flippingByteAt: entry.headerOffset + 14)
        assertFails(try verify(localCRC), .zip, entry: entry.name)
        let raw = try Data(contentsOf: URL(fileURLWithPath: path))
        let central = try XCTUnwrap(raw.range(of: Data([0x50, 0x4B, 0x01, 0x02]))).lowerBound
        let centralCRC = try copy(path, flippingByteAt: UInt64(central + 16))
        XCTAssertEqual(try verify(centralCRC).failure?.step, .zip)
    }

    /// Changes made before the bag was made (so the manifests and signature agree with them, as they
    /// would for someone holding the key): the events, proofs, checkpoint and provenance still fail.
    func testConsistentForgeriesFailAtTheirOwnStep() throws {
        func forged(_ path: String, _ alter: @escaping ([UInt8]) -> [UInt8]) throws -> BundleReport {
            var options = FixtureBundle.Options()
            options.alter = [path: alter]
            return try verify(try makeBundle(options, name: "forged-\(UUID().uuidString).zip").1)
        }
        func replacing(_ a: String, _ b: String) -> ([UInt8]) -> [UInt8] {
            { Array(String(decoding: $0, as: UTF8.self).replacingOccurrences(of: a, with: b).utf8) }
        }
        let event = try forged(BundleLayout.events, replacing("pc.smith", "pc.jones"))
        assertFails(event, .events, entry: BundleLayout.proof(seq: 1), seq: 1)
        let root = try forged(BundleLayout.checkpoint, replacing("\n6\n", "\n7\n"))
        assertFails(root, .checkpoint, entry: BundleLayout.checkpoint)
        let proof = try forged(BundleLayout.proof(seq: 3)) { bytes in
            var lines = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\n")
            lines[3] = Base64.encode([UInt8](repeating: 7, count: 32))
            return Array(lines.joined(separator: "\n").utf8)
        }
        assertFails(proof, .events, entry: BundleLayout.proof(seq: 3), seq: 3)
        let provenance = try forged(BundleLayout.provenance("EX-000001"),
                                    replacing("\"creation_event\":1", "\"creation_event\":2"))
        assertFails(provenance, .provenance, entry: BundleLayout.events, seq: 2)
        let spec = try forged(BundleLayout.spec("EX-000002"), replacing("true", "false"))
        assertFails(spec, .provenance, entry: BundleLayout.spec("EX-000002"))
        let pem = try forged(BundleLayout.publicKeyPEM, replacing("PUBLIC KEY", "PRIVATE KEY"))
        assertFails(pem, .signature, entry: BundleLayout.publicKeyPEM)
        let stranger = Array(try NoteVerifier(name: "testforce.example/custody",
                                              publicKey: Ed25519Key.generate().publicBytes()).vkey.utf8)
        assertFails(try forged(BundleLayout.verifierKey) { _ in stranger }, .signature, entry: BundleLayout.verifierKey)
        let info = try forged(BundleLayout.bundleInfo, replacing("BN-000001", "BN-000002"))
        assertFails(info, .provenance, entry: BundleLayout.bundleInfo)
    }

    func testNoZipOrNoBundleIsAnInputError() throws {
        let (_, path) = try makeBundle()
        let empty = dir.file("empty.zip")
        FileManager.default.createFile(atPath: empty, contents: Data())
        assertNoBundle(empty)
        var random = SplitMix64(state: 3)
        let noise = dir.file("random.zip")
        try Data(random.bytes(100_000)).write(to: URL(fileURLWithPath: noise))
        assertNoBundle(noise)
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        let truncated = dir.file("truncated.zip")
        try whole.prefix(whole.count - 30).write(to: URL(fileURLWithPath: truncated))
        assertNoBundle(truncated)
        let bagless = dir.file("bagless.zip")
        try FixtureBundle.rezip(path, to: bagless, change: [:], drop: [top + "bagit.txt"])
        assertNoBundle(bagless)
    }

    /// A bundle re-keyed throughout (checked with its own key) whose checkpoint claims 2^64 - 1 events:
    /// named at the events, no arithmetic trap.
    func testACheckpointOfAnyClaimedSizeIsNamedNotACrash() throws {
        let key = try Ed25519Key.generate()
        let signer = try NoteSigner(name: "testforce.example/custody", key: key)
        let note = Array(try Checkpoint.sign(size: .max, root: SHA256.hash([1]), signer: signer).note.utf8)
        let pem = Array(try key.publicKeyPEM().utf8), vkey = Array((try signer.verifier.vkey + "\n").utf8)
        var options = FixtureBundle.Options()
        options.signatureKey = key
        options.alter = [BundleLayout.checkpoint: { _ in note }, BundleLayout.publicKeyPEM: { _ in pem },
                         BundleLayout.verifierKey: { _ in vkey }]
        let report = try verify(try makeBundle(options).1)
        assertFails(report, .events, entry: BundleLayout.proof(seq: 1), seq: 1)
        XCTAssertTrue(report.failure?.message.contains("another checkpoint") ?? false,
                      report.failure?.description ?? "")
    }
}
