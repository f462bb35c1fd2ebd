import Catalog
import CustodyCore
import Crypto
import Foundation
import Ledger
import SQLite
import TestSupport
import Uploads
import XCTest
@testable import Vault

/// An exhibit that arrived through a tus upload is anchored in the ledger as one from `custody ingest`.
final class VaultAnchorTests: XCTestCase {
    func testAnUploadedExhibitIsAnchoredByItsIngestEventAndCheckedAgainstIt() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let vault = try Vault.initialize(DataDirectory(root: dir.file("data")), org: "t", actor: .officer("PC-1")).0
        let store = try UploadStore(vault: vault)
        var state: UInt64 = 0x9E3779B97F4A7C15
        let bytes: [UInt8] = (0..<(5 << 20)).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
        var upload = try store.create(owner: "dock-1", length: Int64(bytes.count), metadata: UploadMetadata(), ttl: 60)
        let hasher = UploadHasher(pieceSize: UploadStore.pieceSize)
        var at = 0
        upload = try store.append(upload, checksum: nil, ttl: 60, hasher: hasher) { buffer in
            let n = min(buffer.count, bytes.count - at)
            bytes[at..<(at + n)].withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n) }
            at += n
            return n
        }
        let exhibit = try vault.catalog.find(try XCTUnwrap(try store.complete(upload, hasher: hasher).exhibit))
        try vault.checkpoint()

        let creation = try XCTUnwrap(try vault.events.creationEvent(exhibit: exhibit.id))
        XCTAssertEqual(creation.actor, .device("dock-1"))
        XCTAssertEqual(creation.objectSHA256, SHA256.hash(bytes).hex)
        XCTAssertEqual(creation.details["size"], String(bytes.count))
        XCTAssertEqual(creation.details["chunks_sha256"],
                       Vault.chunkListDigest(try vault.catalog.chunks(of: exhibit)).hex)
        XCTAssertEqual(try vault.anchored(exhibit).sha256, SHA256.hash(bytes))
        XCTAssertTrue(try vault.verify(actor: .officer("PC-1")).isIntact)

        // The second piece's row swapped for the first's: the whole file's SHA-256 stays in the catalog,
        // but the chunk list no longer is the anchored one, so nothing reads it.
        try vault.db.execute("""
            UPDATE exhibit_chunks SET chunk = (SELECT chunk FROM exhibit_chunks WHERE idx = 0),
                size = (SELECT size FROM exhibit_chunks WHERE idx = 0) WHERE idx = 1
            """)
        XCTAssertThrowsError(try vault.readVerified(exhibit) { _ in XCTFail("no byte is handed out") }) {
            XCTAssertEqual(($0 as? CustodyError)?.kind, .integrity)
            let message = ($0 as? CustodyError)?.message ?? "\($0)"
            XCTAssertTrue(message.contains("\(exhibit.id) has a chunk list with SHA-256"), message)
        }
        XCTAssertThrowsError(try ExhibitSource(vault: vault, exhibit: exhibit))
        let report = try vault.verify(actor: .officer("PC-1"))
        XCTAssertEqual(report.damagedExhibits, [exhibit.id])
    }

    func testASourceWithoutARecordedChunkListIsReadWholeBeforeARedactionUsesIt() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let vault = try Vault.initialize(DataDirectory(root: dir.file("data")), org: "t", actor: .officer("PC-1")).0
        let file = TestPaths.fixture("bodycam-a.mp4")
        let real = try vault.ingest(path: file, source: IngestSource(filename: nil, device: "D"),
                                    actor: .officer("PC-1"), chunkSize: 1 << 16).exhibit
        // An exhibit catalogued before creation events named their chunk list: the recording with its
        // first two 64 KiB chunks the other way round, made of chunks the store already holds.
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        let chunks = try vault.catalog.chunks(of: real)
        let swapped = [chunks[1], chunks[0]] + chunks.dropFirst(2)
        var legacy = real
        legacy.sha256 = SHA256.hash(Array(bytes[(1 << 16)..<(2 << 16)] + bytes[0..<(1 << 16)] + bytes[(2 << 16)...]))
        legacy = try vault.db.transaction {
            let made = try vault.catalog.insert(legacy, chunks: swapped.map { ($0.digest, $0.size) }, num: 2)
            try vault.record(CustodyEvent(actor: .officer("PC-1"), action: .ingest, exhibit: made.id,
                                          objectSHA256: made.sha256.hex, details: ["size": String(made.size)]))
            return made
        }
        try vault.checkpoint()
        XCTAssertNoThrow(try ExhibitSource(vault: vault, exhibit: legacy))
        // Its chunk rows put back in the original's order: every chunk still matches its name, and the
        // catalog row still matches the event, but the bytes are no longer the anchored ones.
        try vault.db.query("UPDATE exhibit_chunks SET chunk = iif(idx = 0, ?, ?) WHERE exhibit = 2 AND idx < 2",
                           [.text(chunks[0].digest.hex), .text(chunks[1].digest.hex)])
        XCTAssertEqual(try vault.ledgerDisagreements(legacy), [], "nothing to compare the chunk list with")
        XCTAssertThrowsError(try ExhibitSource(vault: vault, exhibit: legacy)) {
            let message = ($0 as? CustodyError)?.message ?? "\($0)"
            XCTAssertTrue(message.contains("exhibit \(legacy.id) reassembles to SHA-256 \(real.sha256)"), message)
        }
    }
}
