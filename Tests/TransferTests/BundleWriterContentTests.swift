import Crypto
import CustodyCore
import Foundation
import Ledger
import TestSupport
import Transfer
import XCTest

/// What a bundle holds, read back from the unzipped bag and checked against the vault's ledger: the
/// events, their proofs, the checkpoint, the key, the provenance, bundle.json, bag-info and README.
final class BundleWriterContentTests: XCTestCase {
    nonisolated(unsafe) static var fixture: BundleFixture!
    nonisolated(unsafe) static var bundle: (bag: String, built: BuiltBundle)!
    var f: BundleFixture { Self.fixture }
    var bag: String { Self.bundle.bag }

    override class func setUp() {
        fixture = try! BundleFixture()
        let (zip, built) = try! fixture.write(fixture.request(clips: [fixture.derived.id, fixture.other.id]))
        bundle = (try! fixture.unzip(zip, bag: "BN-000001"), built)
    }

    override class func tearDown() {
        fixture?.dir.remove()
        fixture = nil
    }

    func read(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: bag + "/" + path))) }
    func text(_ path: String) throws -> String { String(decoding: try read(path), as: UTF8.self) }
    func json(_ path: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try read(path)), options: [.fragmentsAllowed])
            as? [String: Any])
    }

    func testEventsAreTheClipsAndParentsEventsEachWithAProofThatVerifies() throws {
        let size = Self.bundle.built.checkpointSize
        let expected = try [f.derived.id, f.original.id, f.other.id].flatMap { try f.vault.events.events(exhibit: $0) }
            .filter { $0.seq < Int64(size) }.sorted { $0.seq < $1.seq }
        XCTAssertTrue(expected.contains { $0.exhibit == f.original.id && $0.action == .ingest }, "the parent's ingest")
        XCTAssertTrue(expected.contains { $0.exhibit == f.original.id && $0.action == .view }, "after the redaction")
        let lines = try read("custody/events.jsonl").split(separator: 0x0A, omittingEmptySubsequences: false)
        XCTAssertEqual(lines.last, [], "every line ends with a line feed")
        XCTAssertEqual(lines.dropLast().map(Array.init), expected.map(\.leafBytes), "exact leaf bytes, by seq")

        let checkpoint = try text("custody/checkpoint")
        XCTAssertEqual(checkpoint, try f.vault.events.checkpoint(size: size)?.note)
        let verifier = try NoteVerifier(vkey: try text("custody/ledger-key.vkey"))
        XCTAssertEqual(verifier.vkey, try f.vault.noteVerifier().vkey)
        XCTAssertEqual(try Ed25519Key(pem: try text("custody/ledger-key.pem")).publicBytes(), verifier.publicKey)
        let proofs = try FileManager.default.contentsOfDirectory(atPath: bag + "/custody/proofs")
        XCTAssertEqual(Set(proofs), Set(expected.map { "\($0.seq).tlog-proof" }), "one proof per event, no other")
        for event in expected {
            let proof = try InclusionProof(parsing: try text("custody/proofs/\(event.seq).tlog-proof"))
            XCTAssertEqual(proof.leaf, event.leafBytes)
            XCTAssertEqual(proof.index, UInt64(event.seq))
            XCTAssertEqual(proof.checkpoint, checkpoint)
            XCTAssertEqual(try proof.verify(verifier: verifier).size, size)
        }
    }

    func testProvenanceMatchesTheCreationEvents() throws {
        let derived = try json("custody/exhibits/\(f.derived.id).json")
        let redact = try XCTUnwrap(try f.vault.events.creationEvent(exhibit: f.derived.id))
        let ingest = try XCTUnwrap(try f.vault.events.creationEvent(exhibit: f.original.id))
        XCTAssertEqual(redact.action, .redact)
        XCTAssertEqual(derived["exhibit"] as? String, f.derived.id)
        XCTAssertEqual(derived["file"] as? String, "data/\(f.derived.id)_\(f.derived.filename!)")
        XCTAssertEqual(derived["sha256"] as? String, redact.objectSHA256)
        XCTAssertEqual(derived["sha256"] as? String, f.derived.sha256.hex)
        XCTAssertEqual((derived["size"] as? NSNumber)?.int64Value, f.derived.size)
        XCTAssertEqual((derived["creation_event"] as? NSNumber)?.int64Value, redact.seq)
        XCTAssertEqual(derived["device"] as? String, "BW2-1")
        XCTAssertEqual(derived["officer"] as? String, f.officer.id)
        XCTAssertEqual(derived["captured_at"] as? String, "2026-12-01T09:00:00Z")
        let parent = try XCTUnwrap(derived["parent"] as? [String: Any])
        XCTAssertEqual(parent["exhibit"] as? String, f.original.id)
        XCTAssertEqual(parent["sha256"] as? String, ingest.objectSHA256)
        XCTAssertEqual((parent["creation_event"] as? NSNumber)?.int64Value, ingest.seq)
        let spec = try read("custody/exhibits/\(f.derived.id).spec.json")
        XCTAssertEqual(spec, f.spec, "the spec's exact bytes")
        XCTAssertEqual(derived["spec_sha256"] as? String, SHA256.hash(spec).hex)
        XCTAssertEqual(derived["spec_sha256"] as? String, redact.details["spec_sha256"])

        let other = try json("custody/exhibits/\(f.other.id).json")
        XCTAssertTrue(other["parent"] is NSNull)
        XCTAssertTrue(other["spec_sha256"] is NSNull)
        XCTAssertFalse(FileManager.default.fileExists(atPath: bag + "/custody/exhibits/\(f.other.id).spec.json"))
        let manifest = try text("manifest-sha256.txt")
        XCTAssertTrue(manifest.contains("\(f.derived.sha256.hex)  data/\(f.derived.id)_"), manifest)
    }

    func testBundleInfoBagInfoReadmeAndSignature() throws {
        let info = try json("custody/bundle.json")
        XCTAssertEqual(info["bundle"] as? String, "BN-000001")
        XCTAssertEqual(info["case"] as? String, "CPS/2026/1187")
        XCTAssertEqual(info["case_title"] as? String, "R v Example")
        XCTAssertEqual(info["recipient"] as? String, "j.smith@cps.gov.uk")
        XCTAssertEqual(info["organization"] as? String, "met.police.uk")
        XCTAssertEqual(info["origin"] as? String, "met.police.uk/custody")
        XCTAssertEqual((info["checkpoint_size"] as? NSNumber)?.uint64Value, Self.bundle.built.checkpointSize)
        XCTAssertEqual(info["exhibits"] as? [String], [f.derived.id, f.other.id])
        XCTAssertEqual(try read("custody/bundle.json").last, 0x0A)

        let labels = try text("bag-info.txt").split(separator: "\n").map { String($0.prefix { $0 != ":" }) }
        XCTAssertEqual(labels, ["Source-Organization", "External-Identifier", "Bagging-Date", "Bag-Group-Identifier",
                                "Internal-Sender-Identifier", "Contact-Name", "Recipient", "Expires",
                                "Bundle-Signature", "Payload-Oxum", "Bag-Size"])
        let readme = try text("data/README.txt")
        for needle in ["CPS/2026/1187", "j.smith@cps.gov.uk", "met.police.uk", f.officer.id, f.derived.sha256.hex,
                       f.other.sha256.hex, "2026-12-21T10:00:00.000Z", "sha256sum -c manifest-sha256.txt",
                       "openssl pkeyutl -verify -pubin", "bagit.py --validate", "custody bundle verify"] {
            XCTAssertTrue(readme.contains(needle), "README.txt names \(needle)")
        }
        let files = Self.bundle.built.files
        XCTAssertEqual(files.map(\.path), ["data/README.txt", "data/\(f.derived.id)_\(f.derived.filename!)",
                                           "data/\(f.other.id)_bodycam-b.mp4"])
        for file in files {
            XCTAssertEqual(SHA256.hash(try read(file.path)), file.sha256)
            XCTAssertEqual(Int64(try read(file.path).count), file.size)
        }
        let tagManifest = try read("tagmanifest-sha256.txt")
        XCTAssertFalse(String(decoding: tagManifest, as: UTF8.self).contains("custody/signature"))
        let signature = try read("custody/signature")
        XCTAssertEqual(signature.count, 64)
        XCTAssertTrue(try Ed25519Key(pem: try text("custody/ledger-key.pem")).verify(signature, for: tagManifest))
    }
}
