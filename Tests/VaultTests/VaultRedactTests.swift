import Catalog
import CustodyCore
import Crypto
import Foundation
import Ledger
import Media
import MediaModel
import Storage
import TestSupport
import XCTest
@testable import Vault

final class VaultRedactTests: XCTestCase {
    let officer = Actor.officer("PC-4471")
    var dir: TemporaryDirectory!
    var vault: Vault!

    override func setUpWithError() throws {
        dir = TemporaryDirectory("vault-redact")
        vault = try Vault.initialize(DataDirectory(root: dir.file("data")), org: "test", actor: officer).0
    }

    override func tearDown() {
        vault = nil
        dir?.remove()
    }

    func ingest(_ name: String) throws -> Exhibit {
        try vault.ingest(path: TestPaths.fixture(name), source: IngestSource(filename: name, device: "BW2-1"),
                         actor: officer).exhibit
    }

    var specBytes: [UInt8] {
        get throws { [UInt8](try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("redaction-spec.json")))) }
    }

    func scratchLeftovers() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: vault.directory.scratch)
    }

    func testDerivedExhibitIsLinkedReproducibleAndTheOriginalIntact() throws {
        let parent = try ingest("bodycam-a.mp4")
        let spec = try specBytes
        let first = try vault.redact(parent, spec: spec, reason: "CPS 17", actor: officer)
        XCTAssertFalse(first.duplicate)
        let derived = first.exhibit
        XCTAssertEqual(derived.parentSHA256, parent.sha256)
        XCTAssertEqual(derived.specSHA256, SHA256.hash(spec))
        XCTAssertEqual(derived.spec, String(decoding: spec, as: UTF8.self))
        XCTAssertEqual(derived.status, .ok)
        XCTAssertEqual(derived.media?.video?.codec, "h264")
        XCTAssertEqual(derived.media?.video?.frames, 90, "clip [0.5, 3.5] at 30 fps")
        XCTAssertEqual(derived.capturedAt, parent.capturedAt)
        XCTAssertEqual(try vault.catalog.derived(from: parent).map(\.id), [derived.id])

        let again = try vault.redact(parent, spec: spec, reason: "CPS 17 again", actor: officer)
        XCTAssertTrue(again.duplicate, "the same spec on the same exhibit gives the same bytes")
        XCTAssertEqual(again.exhibit.id, derived.id)

        let original = try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("bodycam-a.mp4")))
        var copy = Data()
        try vault.readVerified(try vault.catalog.find(parent.id)) { copy.append(contentsOf: $0) }
        XCTAssertEqual(copy, original)
        XCTAssertEqual(try scratchLeftovers(), [], "temp files are removed")

        let events = try vault.events.events(exhibit: nil).filter { $0.action == .redact }
        XCTAssertEqual(events.map(\.exhibit), [parent.id, derived.id, parent.id, derived.id])
        XCTAssertEqual(events[0].details["role"], "source")
        XCTAssertEqual(events[1].details["parent_sha256"], parent.sha256.hex)
        XCTAssertEqual(events[1].details["spec_sha256"], SHA256.hash(spec).hex)
        XCTAssertEqual(events[1].reason, "CPS 17")
        XCTAssertEqual(events[3].details["duplicate"], "true")

        // And beside a busy thread (x264's threads finish in another order): still the same bytes.
        let load = BusyLoad(threads: 1)
        defer { load.stop() }
        for run in 0..<3 {
            let loaded = try vault.redact(parent, spec: spec, reason: "CPS 17 under load", actor: officer)
            XCTAssertTrue(loaded.duplicate, "run \(run) under load gives other bytes")
        }
    }

    func testUnreadableExhibitAndBadSpecAreRefusedAndRecorded() throws {
        let broken = try ingest("truncated.mp4")
        XCTAssertThrowsError(try vault.redact(broken, spec: try specBytes, reason: "r", actor: officer)) { error in
            let e = error as? CustodyError
            XCTAssertEqual(e?.kind, .refused)
            XCTAssertTrue(e?.message.contains("unreadable") == true, "\(error)")
        }
        let good = try ingest("bodycam-b.mp4")
        let bad = Array(#"{"blur": [{"from": 0, "to": 1, "rect": [300, 0, 40, 8]}]}"#.utf8)
        XCTAssertThrowsError(try vault.redact(good, spec: bad, reason: "r", actor: officer)) { error in
            XCTAssertTrue("\(error)".contains("blur[0].rect: x + w = 340 exceeds the frame width 320"), "\(error)")
        }
        let refused = try vault.events.events(exhibit: nil).filter { $0.action == .redact }
        XCTAssertEqual(refused.map(\.outcome), [.refused, .refused])
        XCTAssertEqual(refused.map(\.exhibit), [broken.id, good.id])
        XCTAssertEqual(try vault.catalog.derived(from: good), [])
    }

    func testCancelledRedactionStoresNothing() throws {
        let parent = try ingest("bodycam-a.mp4")
        var polls = 0
        XCTAssertThrowsError(try vault.redact(parent, spec: try specBytes, reason: "r", actor: officer,
                                              isCancelled: { polls += 1; return polls > 30 })) { error in
            XCTAssertEqual(error as? RedactionError, .cancelled)
        }
        XCTAssertEqual(try vault.catalog.derived(from: parent), [])
        XCTAssertEqual(try scratchLeftovers(), [])
        let last = try XCTUnwrap(try vault.events.events(exhibit: parent.id).last)
        XCTAssertEqual(last.action, .redact)
        XCTAssertEqual(last.outcome, .failed)
    }

    func testTempFoldersOfDeadRedactionsAreRemoved() throws {
        // A pid above the kernel's pid_max cannot be alive.
        let stale = vault.directory.scratch + "/99999999-deadbeef-1-redact"
        try FileManager.default.createDirectory(atPath: stale, withIntermediateDirectories: false)
        XCTAssertTrue(FileManager.default.createFile(atPath: stale + "/source", contents: Data([1, 2, 3])))
        _ = try Vault(directory: vault.directory)
        XCTAssertEqual(try scratchLeftovers(), [])
    }

    func testTheChunkStoreIsReadDirectlyOnlyWhereNeededAndGivesTheSameBytesAsTheFile() throws {
        // 8 KiB chunks: bodycam-a (208 KiB, index first) spans 26 of them.
        let parent = try vault.ingest(path: TestPaths.fixture("bodycam-a.mp4"),
                                      source: IngestSource(filename: "a.mp4", device: "BW2-1"), actor: officer,
                                      chunkSize: 8 << 10).exhibit
        let json = #"{"clip": [3.2, 3.6], "blur": [{"from": 3.2, "to": 3.5, "rect": [0, 0, 64, 64]}]}"#
        let spec = try RedactionSpec.parse(Array(json.utf8), bounds: .init(width: 320, height: 240, duration: 4))
        let source = try ExhibitSource(vault: vault, exhibit: parent)
        let viaChunks = dir.file("via-chunks.mp4"), viaFile = dir.file("via-file.mp4")
        let result = try Redactor.redact(source: source, output: viaChunks, spec: spec)
        XCTAssertEqual(result.videoFrames, 12)
        _ = try Redactor.redact(input: TestPaths.fixture("bodycam-a.mp4"), output: viaFile, spec: spec)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: viaChunks)),
                       try Data(contentsOf: URL(fileURLWithPath: viaFile)))
        let total = try vault.catalog.chunks(of: parent).count
        print("clip [3.2, 3.6] of bodycam-a read \(source.chunksLoaded) of \(total) chunks")
        // Decoding starts at the keyframe at 2.0 s: the index, the probe and 2.0-3.6 s are 14 chunks.
        XCTAssertLessThan(source.chunksLoaded, total * 2 / 3, "a late clip skips the start of the recording")
    }

    func testADamagedChunkStopsTheRedactionWithAnIntegrityError() throws {
        let parent = try vault.ingest(path: TestPaths.fixture("bodycam-a.mp4"),
                                      source: IngestSource(filename: "a.mp4", device: "BW2-1"), actor: officer,
                                      chunkSize: 64 << 10).exhibit
        let chunks = try vault.catalog.chunks(of: parent)
        let path = vault.fileStore!.path(for: chunks[2].digest)
        chmod(path, 0o644)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[100] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try vault.redact(parent, spec: try specBytes, reason: "r", actor: officer)) { error in
            let e = error as? CustodyError
            XCTAssertEqual(e?.kind, .integrity, "\(error)")
            XCTAssertTrue(e?.message.contains("\(parent.id) chunk 2") ?? false, "\(error)")
        }
        XCTAssertEqual(try vault.catalog.derived(from: parent), [])
        XCTAssertEqual(try scratchLeftovers(), [])
        XCTAssertEqual(try vault.events.events(exhibit: parent.id).last?.outcome, .failed)
    }
}
