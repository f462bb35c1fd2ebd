import Catalog
import CustodyCore
import Foundation
import TestSupport
import Transfer
import Vault
import XCTest

/// Progress, cancellation and failures: nothing is left at the path when the writer stops early.
final class BundleWriterFailureTests: XCTestCase {
    let officer = Actor.officer("PC-4471")
    var dir: TemporaryDirectory!
    var vault: Vault!
    var exhibit: Exhibit!

    override func setUpWithError() throws {
        dir = TemporaryDirectory("bundle-failure")
        vault = try Vault.initialize(DataDirectory(root: dir.file("data")), org: "met.police.uk", actor: officer).0
        exhibit = try vault.ingest(path: TestPaths.fixture("bodycam-a.mp4"),
                                   source: IngestSource(filename: "bodycam-a.mp4", device: "BW2-1"),
                                   actor: officer, chunkSize: 64 * 1024).exhibit
    }

    override func tearDown() {
        vault = nil
        dir?.remove()
    }

    func request(_ clips: [String]) -> BundleRequest {
        BundleRequest(id: "BN-000007", caseRef: "CPS/1", caseTitle: nil, recipient: "clerk@court.example",
                      createdBy: officer.id, createdAt: "2026-12-07T10:00:00Z", expiresAt: "2026-12-21T10:00:00Z",
                      clips: clips)
    }

    func testProgressCountsEveryClipByteInOrder() throws {
        var calls: [(Int64, Int64)] = []
        _ = try BundleWriter.write(request([exhibit.id]), vault: vault, to: dir.file("b.zip"),
                                   progress: { calls.append(($0, $1)) }, isCancelled: nil)
        XCTAssertEqual(calls.count, 4, "one call per 64 KiB chunk of a 212,703-byte clip")
        XCTAssertEqual(calls.map(\.0), calls.map(\.0).sorted())
        XCTAssertTrue(calls.allSatisfy { $0.1 == exhibit.size })
        XCTAssertEqual(calls.last?.0, exhibit.size)
    }

    func testCancellingBetweenChunksStopsAndRemovesTheFile() throws {
        let path = dir.file("b.zip")
        var chunks = 0
        XCTAssertThrowsError(try BundleWriter.write(request([exhibit.id]), vault: vault, to: path,
                                                    progress: { _, _ in chunks += 1 },
                                                    isCancelled: { chunks >= 2 })) { error in
            XCTAssertEqual((error as? BundleWriter.Cancelled)?.bundle, "BN-000007", "\(error)")
        }
        XCTAssertEqual(chunks, 2, "stopped before the third chunk")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testADamagedChunkFailsNamingTheExhibitAndLeavesNothing() throws {
        let chunk = try vault.catalog.chunks(of: exhibit)[2].digest.hex
        let file = vault.directory.chunks + "/\(chunk.prefix(2))/\(chunk)"
        chmod(file, 0o644)
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: file))
        try handle.seek(toOffset: 100)
        try handle.write(contentsOf: Data([0xFF, 0x00, 0xFF]))
        try handle.close()
        let path = dir.file("b.zip")
        XCTAssertThrowsError(try BundleWriter.write(request([exhibit.id]), vault: vault, to: path,
                                                    progress: nil, isCancelled: nil)) { error in
            let e = error as? CustodyError
            XCTAssertEqual(e?.kind, .integrity, "\(error)")
            XCTAssertTrue(e?.message.contains("exhibit \(exhibit.id) chunk 2") == true, "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testADiskFullIsACustodyErrorNamingThePath() throws {
        XCTAssertThrowsError(try BundleWriter.write(request([exhibit.id]), vault: vault, to: "/dev/full",
                                                    progress: nil, isCancelled: nil)) { error in
            let e = error as? CustodyError
            XCTAssertEqual(e?.kind, .diskFull, "\(error)")
            XCTAssertTrue(e?.message.contains("/dev/full") == true, "\(error)")
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: "/dev/full"), "a device is never removed")
    }

    func testNoClipATwiceNamedClipAndABadIDAreRefusedBeforeAnyFile() throws {
        let path = dir.file("b.zip")
        for clips in [[], [exhibit.id, exhibit.id]] {
            XCTAssertThrowsError(try BundleWriter.write(request(clips), vault: vault, to: path, progress: nil,
                                                        isCancelled: nil)) {
                XCTAssertEqual(($0 as? CustodyError)?.kind, .invalidInput(field: "exhibit"), "\($0)")
            }
        }
        var bad = request([exhibit.id])
        bad = BundleRequest(id: "../x", caseRef: bad.caseRef, caseTitle: nil, recipient: bad.recipient,
                            createdBy: bad.createdBy, createdAt: bad.createdAt, expiresAt: bad.expiresAt,
                            clips: bad.clips)
        XCTAssertThrowsError(try BundleWriter.write(bad, vault: vault, to: path, progress: nil, isCancelled: nil))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    /// A value bag-info cannot hold is refused before the clips are read, not after.
    func testABagInfoValueItCannotHoldIsRefusedBeforeAnyClipByte() throws {
        let good = request([exhibit.id])
        let bad = BundleRequest(id: good.id, caseRef: good.caseRef, caseTitle: nil, recipient: good.recipient,
                                createdBy: good.createdBy, createdAt: good.createdAt,
                                expiresAt: "2026-12-21\nInjected: field", clips: good.clips)
        var read: Int64 = 0
        XCTAssertThrowsError(try BundleWriter.write(bad, vault: vault, to: dir.file("b.zip"),
                                                    progress: { n, _ in read = n }, isCancelled: nil)) {
            XCTAssertEqual(($0 as? CustodyError)?.kind, .invalidInput(field: "bundle"), "\($0)")
        }
        XCTAssertEqual(read, 0, "no clip byte was read")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("b.zip")))
    }
}
