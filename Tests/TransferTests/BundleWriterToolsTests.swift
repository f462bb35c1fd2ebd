import Crypto
import CustodyCore
import Foundation
import TestSupport
import Transfer
import XCTest
import Zip

/// Third-party tools, unmodified, accept a bundle the writer made from a real vault: the ZIP readers,
/// both BagIt validators, sha256sum and openssl.
final class BundleWriterToolsTests: XCTestCase {
    nonisolated(unsafe) static var fixture: BundleFixture!
    var f: BundleFixture { Self.fixture }

    override class func setUp() {
        fixture = try! BundleFixture()
    }

    override class func tearDown() {
        fixture?.dir.remove()
        fixture = nil
    }

    func testZipReadersBagItValidatorsOpensslAndSha256sumAcceptIt() throws {
        let (zip, built) = try f.write(f.request(clips: [f.derived.id, f.other.id]))
        let names = try BundleTools.readZip(zip)
        XCTAssertTrue(names.allSatisfy { $0.hasPrefix("BN-000001/") }, "one top folder: \(names)")
        XCTAssertEqual(names.first, "BN-000001/bagit.txt")
        XCTAssertEqual(names.last, "BN-000001/custody/signature")
        XCTAssertEqual(Set(names.filter { $0.hasPrefix("BN-000001/data/") }),
                       ["BN-000001/data/README.txt", "BN-000001/data/\(f.derived.id)_\(f.derived.filename!)",
                        "BN-000001/data/\(f.other.id)_bodycam-b.mp4"])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: zip))
        XCTAssertEqual(built.size, Int64(bytes.count))
        XCTAssertEqual(built.sha256, SHA256.hash(bytes), "the SHA-256 of the final file's bytes")

        let bag = try f.unzip(zip, bag: "BN-000001")
        let bagit = try BundleTools.run("bagit.py", ["--validate", bag], venv: true)
        XCTAssertEqual(bagit.status, 0, bagit.stderr)
        XCTAssertTrue(bagit.stderr.contains("is valid"), bagit.stderr)
        let bdbag = try BundleTools.run("bdbag", ["--validate", "full", zip], venv: true)
        XCTAssertEqual(bdbag.status, 0, bdbag.stdout + bdbag.stderr)
        XCTAssertTrue((bdbag.stdout + bdbag.stderr).contains("is valid"), bdbag.stdout + bdbag.stderr)
        for manifest in ["manifest-sha256.txt", "tagmanifest-sha256.txt"] {
            let sums = try BundleTools.run("sha256sum", ["--strict", "-c", manifest], in: bag)
            XCTAssertEqual(sums.status, 0, sums.stdout + sums.stderr)
        }
        let openssl = try BundleTools.run("openssl", ["pkeyutl", "-verify", "-pubin", "-inkey",
                                                      "custody/ledger-key.pem", "-rawin", "-in",
                                                      "tagmanifest-sha256.txt", "-sigfile", "custody/signature"],
                                          in: bag)
        XCTAssertEqual(openssl.status, 0, openssl.stdout + openssl.stderr)
        XCTAssertTrue(openssl.stdout.contains("Signature Verified Successfully"), openssl.stdout)
    }

    /// ZIP64 records on every entry, and the other way of hashing (data descriptors, hashed as written).
    func testZip64AndStreamedVariantsAreReadByAllThreeReaders() throws {
        let variants: [BundleWriter.Options] = [
            .init(hash: .rereadFile, zip: .init(forceZip64: true)),
            .init(hash: .streamed, zip: .init(forceZip64: false)),
            .init(hash: .streamed, zip: .init(forceZip64: true)),
        ]
        for options in variants {
            let (zip, built) = try f.write(f.request(clips: [f.derived.id]), options: options)
            let names = try BundleTools.readZip(zip)
            XCTAssertEqual(names.last, "BN-000001/custody/signature")
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: zip)))
            XCTAssertEqual(built.sha256, SHA256.hash(bytes), "\(options)")
            let zip64End: [UInt8] = [0x50, 0x4B, 0x06, 0x06]
            XCTAssertEqual(bytes.indices.dropLast(4).contains { bytes[$0..<$0 + 4].elementsEqual(zip64End) },
                           options.zip.forceZip64, "a ZIP64 end record exactly when forced")
            XCTAssertEqual(bytes[6] & 0x08 != 0, options.hash == .streamed, "a data descriptor exactly when streamed")
            let bdbag = try BundleTools.run("bdbag", ["--validate", "full", zip], venv: true)
            XCTAssertEqual(bdbag.status, 0, bdbag.stdout + bdbag.stderr)
        }
    }
}
