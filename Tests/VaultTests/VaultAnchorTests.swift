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
    static func randomBytes(_ count: Int) -> [UInt8] {
        var state: UInt64 = 0x9E3779B97F4A7C15
        return (0..<count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }

    /// Uploads `bytes` as dock-1 would, whole; returns the exhibit ID it was catalogued as.
    static func upload(_ bytes: [UInt8], to store: UploadStore) throws -> String {
        var upload = try store.create(owner: "dock-1", length: Int64(bytes.count), metadata: UploadMetadata(), ttl: 60)
        let hasher = UploadHasher(pieceSize: UploadStore.pieceSize)
        var at = 0
        upload = try store.append(upload, checksum: nil, ttl: 60, hasher: hasher) { buffer in
            let n = min(buffer.count, bytes.count - at)
            bytes[at..<(at + n)].withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n) }
            at += n
            return n
        }
        return try XCTUnwrap(try store.complete(upload, hasher: hasher).exhibit)
    }

    func testAnUploadedExhibitIsAnchoredByItsIngestEventAndCheckedAgainstIt() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let vault = try Vault.initialize(DataDirectory(root: dir.file("data")), org: "t", actor: .officer("PC-1")).0
        let bytes = Self.randomBytes(5 << 20)
        let exhibit = try vault.catalog.find(try Self.upload(bytes, to: UploadStore(vault: vault)))
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

    func testANewExhibitIsNumberedAboveEveryExhibitAnyEventNamesComparedAsNumbers() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let vault = try Vault.initialize(DataDirectory(root: dir.file("data")), org: "t", actor: .officer("PC-1")).0
        func ingest(_ name: String) throws -> String {
            try vault.ingest(path: TestPaths.fixture(name), source: IngestSource(filename: nil, device: "D"),
                             actor: .officer("PC-1")).exhibit.id
        }
        // Events name exhibits the catalog no longer has (their rows deleted): not creation events, but
        // an exhibit numbered 9 would now seem to be what EX-000009 was viewed as.
        try vault.record(CustodyEvent(actor: .officer("PC-1"), action: .view, exhibit: "EX-000009",
                                      objectSHA256: String(repeating: "a", count: 64)))
        XCTAssertEqual(try ingest("bodycam-a.mp4"), "EX-000010")
        try vault.record(CustodyEvent(actor: .officer("PC-1"), action: .export, exhibit: "EX-999999",
                                      outcome: .refused))
        try vault.record(CustodyEvent(actor: .officer("PC-1"), action: .view, exhibit: "EX-1000000"))
        XCTAssertEqual(try ingest("bodycam-b.mp4"), "EX-1000001", "EX-1000000 is after EX-999999")
        XCTAssertEqual(try vault.catalog.all().map(\.id), ["EX-000010", "EX-1000001"])
    }

    func testAnUploadOfTheGenuineBytesRepairsChangedRowsOrCompletesAsBeforeWhenItsPiecesCannot() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let vault = try Vault.initialize(DataDirectory(root: dir.file("data")), org: "t", actor: .officer("PC-1")).0
        let store = try UploadStore(vault: vault)
        let bytes = Self.randomBytes(5 << 20)
        let uploaded = try Self.upload(bytes, to: store)
        try vault.db.execute("UPDATE exhibits SET size = size + 1 WHERE id = '\(uploaded)'")
        XCTAssertFalse(try vault.verify(actor: .officer("PC-1")).isIntact)
        XCTAssertEqual(try Self.upload(bytes, to: store), uploaded)
        XCTAssertEqual(try vault.catalog.find(uploaded).size, Int64(bytes.count), "repaired from the same pieces")
        let repairs = try vault.events.events(exhibit: uploaded).filter { $0.details["repaired_catalog"] == "true" }
        XCTAssertEqual(repairs.map(\.actor), [.device("dock-1")])
        XCTAssertTrue(try vault.verify(actor: .officer("PC-1")).isIntact)

        // Ingested in 64 KiB chunks, the upload's 4 MiB pieces cannot be the recorded chunk list: the
        // dock cannot choose, so the upload completes as it did before (a duplicate), the rows unrepaired.
        let file = TestPaths.fixture("bodycam-a.mp4")
        let ingested = try vault.ingest(path: file, source: IngestSource(filename: nil, device: "D"),
                                        actor: .officer("PC-1"), chunkSize: 1 << 16).exhibit
        try vault.db.execute("UPDATE exhibits SET size = size + 1 WHERE id = '\(ingested.id)'")
        let genuine = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        XCTAssertEqual(try Self.upload(genuine, to: store), ingested.id)
        XCTAssertEqual(try vault.catalog.find(ingested.id).size, ingested.size + 1)
        XCTAssertEqual(try vault.verify(actor: .officer("PC-1")).damagedExhibits, [ingested.id])
    }
}
