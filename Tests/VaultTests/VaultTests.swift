import Catalog
import CustodyCore
import Crypto
import Foundation
import Ledger
import Storage
import TestSupport
import XCTest
@testable import Vault

final class VaultTests: XCTestCase {
    let officer = Actor.officer("PC-4471")
    var dir: TemporaryDirectory!
    var vault: Vault!

    override func setUpWithError() throws {
        dir = TemporaryDirectory()
        vault = try Vault.initialize(DataDirectory(root: dir.file("data")), org: "test", actor: officer).0
    }

    override func tearDown() {
        vault = nil
        dir?.remove()
    }

    func ingest(_ path: String, chunkSize: Int = 64 << 10) throws -> IngestResult {
        try vault.ingest(path: path, source: IngestSource(filename: (path as NSString).lastPathComponent, device: "BW2-1"),
                         actor: officer, chunkSize: chunkSize)
    }

    func testIngestHashesLikeSha256sumAndChunksInOrder() throws {
        let r = try ingest(TestPaths.fixture("bodycam-a.mp4"))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("bodycam-a.mp4")))
        XCTAssertEqual(r.exhibit.sha256, SHA256.hash(bytes))
        XCTAssertEqual(r.exhibit.id, "EX-000001")
        XCTAssertFalse(r.duplicate)
        let chunks = try vault.catalog.chunks(of: r.exhibit)
        XCTAssertEqual(chunks.count, (bytes.count + (64 << 10) - 1) / (64 << 10))
        for (i, c) in chunks.enumerated() {
            let slice = bytes[(i * (64 << 10))..<min(bytes.count, (i + 1) * (64 << 10))]
            XCTAssertEqual(c.digest, SHA256.hash(Data(slice)))
            XCTAssertEqual(c.size, slice.count)
        }
    }

    func testAFileThatChangesWhileItIsReadIsNotCatalogued() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("bodycam-a.mp4")))
        for (name, change) in [("growing", { (h: FileHandle) in try h.seekToEnd(); try h.write(contentsOf: Data([1, 2])) }),
                               ("shrinking", { (h: FileHandle) in try h.truncate(atOffset: 1000) })] {
            let path = dir.file("\(name).mp4")
            try bytes.write(to: URL(fileURLWithPath: path))
            let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
            var changed = false
            XCTAssertThrowsError(try vault.ingest(path: path, source: IngestSource(filename: name, device: "BW2-1"),
                                                  actor: officer, chunkSize: 64 << 10) { _, _ in
                if !changed { changed = true; try? change(handle) }  // after the first chunk was read
            }) { XCTAssertTrue(($0 as? CustodyError)?.message.contains("changed while it was being read") ?? false,
                               "\(name): \($0)") }
            try handle.close()
        }
        XCTAssertTrue(try vault.catalog.all().isEmpty)
    }

    func testAFIFOIsRefusedWithoutWaitingForAWriter() throws {
        let fifo = dir.file("camera.fifo")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        XCTAssertThrowsError(try ingest(fifo)) {
            XCTAssertTrue(($0 as? CustodyError)?.message.contains("not a regular file") ?? false, "\($0)")
        }
    }

    func testNewEvidenceSharingADamagedChunkRepairsItInsteadOfReusingIt() throws {
        let a = try ingest(TestPaths.fixture("bodycam-a.mp4"))
        let first = try XCTUnwrap(vault.catalog.chunks(of: a.exhibit).first)
        let stored = vault.fileStore!.path(for: first.digest)
        XCTAssertEqual(chmod(stored, 0o644), 0)
        try Data(count: first.size).write(to: URL(fileURLWithPath: stored))  // zeroed: same size, wrong bytes
        let head = try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("bodycam-a.mp4"))).prefix(64 << 10)
        let newFile = dir.file("new.bin")
        try (head + Data((0..<1000).map { UInt8(truncatingIfNeeded: $0) })).write(to: URL(fileURLWithPath: newFile))
        let b = try ingest(newFile)
        XCTAssertNoThrow(try vault.readVerified(b.exhibit) { _ in }, "the new exhibit is whole")
        XCTAssertNoThrow(try vault.readVerified(a.exhibit) { _ in }, "and the old one is repaired")
        let repair = try XCTUnwrap(vault.events.events().last { $0.details["repaired"] == "true" }, "and it is recorded")
        XCTAssertEqual(repair.details["chunk"], first.digest.hex)
        XCTAssertEqual(repair.outcome, .failed)
    }

    func testDuplicateStoresNothingNewAndIsRecorded() throws {
        let first = try ingest(TestPaths.fixture("bodycam-b.mp4"))
        let chunkFiles = try FileManager.default.subpathsOfDirectory(atPath: vault.directory.chunks).count
        let second = try ingest(TestPaths.fixture("bodycam-b.mp4"))
        XCTAssertTrue(second.duplicate)
        XCTAssertEqual(second.exhibit.id, first.exhibit.id)
        XCTAssertEqual(try vault.catalog.all().count, 1)
        XCTAssertEqual(try FileManager.default.subpathsOfDirectory(atPath: vault.directory.chunks).count, chunkFiles)
        let events = try vault.events.events(exhibit: first.exhibit.id)
        XCTAssertEqual(events.map(\.action), [.ingest, .ingest])
        XCTAssertEqual(events.last?.details["duplicate"], "true")
    }

    func testCorruptFilesAreStoredAndFlaggedUnreadable() throws {
        for name in ["truncated.mp4", "random.bin"] {
            let r = try ingest(TestPaths.fixture(name))
            XCTAssertEqual(r.exhibit.status, .unreadable, name)
            XCTAssertNotNil(r.exhibit.unreadableReason)
            XCTAssertNil(r.exhibit.media)
        }
        XCTAssertEqual(try vault.catalog.all().count, 2)
    }

    func testExportRoundTripsAndRefusesToOverwrite() throws {
        let r = try ingest(TestPaths.fixture("bodycam-a.mp4"), chunkSize: 64 << 10)
        let out = dir.file("out.mp4")
        try vault.export(r.exhibit, to: out, actor: officer, reason: "CPS request 17")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)),
                       try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("bodycam-a.mp4"))))
        XCTAssertThrowsError(try vault.export(r.exhibit, to: out, actor: officer, reason: "again")) {
            XCTAssertEqual(($0 as? CustodyError)?.kind, .conflict(.file))
        }
        let exports = try vault.events.events(exhibit: r.exhibit.id).filter { $0.action == .export }
        XCTAssertEqual(exports.map(\.outcome), [.ok, .refused], "the refused attempt is recorded too")
        XCTAssertEqual(exports.first?.reason, "CPS request 17")
        XCTAssertTrue(exports.last?.reason?.contains("already exists") ?? false)

        // A dangling symlink is something at that path all the same, and the data directory is no place
        // for an export.
        let link = dir.file("dangling.mp4")
        XCTAssertEqual(symlink(dir.file("nowhere"), link), 0)
        XCTAssertThrowsError(try vault.export(r.exhibit, to: link, actor: officer, reason: "x"))
        XCTAssertThrowsError(try vault.export(r.exhibit, to: vault.directory.scratch + "/x", actor: officer,
                                              reason: "x")) {
            XCTAssertTrue(($0 as? CustodyError)?.message.contains("inside the data directory") ?? false, "\($0)")
        }
    }

    func testAnExportNeverReplacesAFileThatAppearsMeanwhile() throws {
        let r = try ingest(TestPaths.fixture("bodycam-a.mp4"), chunkSize: 64 << 10)
        let out = dir.file("raced.mp4")
        var made = false
        XCTAssertThrowsError(try vault.export(r.exhibit, to: out, actor: officer, reason: "x") { _, _ in
            if !made { made = FileManager.default.createFile(atPath: out, contents: Data("PRECIOUS".utf8)) }
        }) { XCTAssertTrue(($0 as? CustodyError)?.message.contains("appeared while exporting") ?? false, "\($0)") }
        XCTAssertTrue(made)
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), "PRECIOUS")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("partial") }, [])
    }

    func testFlippedByteInAChunkFailsExportAndVerifyNamingTheChunk() throws {
        let r = try ingest(TestPaths.fixture("bodycam-a.mp4"), chunkSize: 64 << 10)
        let other = try ingest(TestPaths.fixture("bodycam-b.mp4"), chunkSize: 64 << 10)
        let chunks = try vault.catalog.chunks(of: r.exhibit)
        let path = vault.fileStore!.path(for: chunks[1].digest)
        chmod(path, 0o644)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[100] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: path))

        let out = dir.file("damaged.mp4")
        XCTAssertThrowsError(try vault.export(r.exhibit, to: out, actor: officer, reason: "test")) { error in
            let e = error as? CustodyError
            XCTAssertEqual(e?.kind, .integrity)
            XCTAssertTrue(e?.message.contains("\(r.exhibit.id) chunk 1") ?? false, e?.message ?? "")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("partial") }, [])
        XCTAssertEqual(try vault.events.events(exhibit: r.exhibit.id).last?.outcome, .failed)

        let report = try vault.verify(actor: officer)
        XCTAssertFalse(report.isIntact)
        XCTAssertEqual(report.damagedExhibits, [r.exhibit.id])
        XCTAssertEqual(report.damage.first?.chunkIndex, 1)
        XCTAssertEqual(report.damage.first?.chunk, chunks[1].digest)
        XCTAssertFalse(report.damagedExhibits.contains(other.exhibit.id))
    }

    func testAMissingKeyFileIsSaidToBeMissing() throws {
        try FileManager.default.removeItem(atPath: vault.directory.ledgerPrivateKey)
        XCTAssertThrowsError(try vault.noteSigner()) {
            XCTAssertEqual(($0 as? CustodyError)?.kind, .missing(.ledgerKey), "\($0)")
        }
        try FileManager.default.removeItem(atPath: vault.directory.ledgerPublicKey)
        XCTAssertThrowsError(try vault.noteVerifier()) {
            XCTAssertEqual(($0 as? CustodyError)?.kind, .missing(.ledgerPublicKey), "\($0)")
        }
    }

    func testMissingChunkIsReportedByVerify() throws {
        let r = try ingest(TestPaths.fixture("bodycam-b.mp4"), chunkSize: 64 << 10)
        let chunks = try vault.catalog.chunks(of: r.exhibit)
        XCTAssertEqual(unlink(vault.fileStore!.path(for: chunks[0].digest)), 0)
        let report = try vault.verify(actor: officer)
        XCTAssertEqual(report.damage.count, 1)
        XCTAssertTrue(report.damage[0].problem.contains("missing"), report.damage[0].problem)
    }

    /// Verify hashes each chunk and the exhibit in one pass; a damaged, truncated or missing chunk
    /// must be reported alone, the chunks after it still checked on their own.
    func testVerifyReportsEachDamagedChunkAndOnlyThose() throws {
        var state: UInt64 = 0x1234_5678
        func file(_ name: String, _ count: Int) throws -> String {
            let bytes = (0..<count).map { _ -> UInt8 in
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                return UInt8(truncatingIfNeeded: state)
            }
            let path = dir.file(name)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return path
        }
        let a = try ingest(try file("a.bin", 6 * (64 << 10) + 1000), chunkSize: 64 << 10)
        // A chunk size that is not whole SHA-256 blocks takes the two-pass path.
        let b = try ingest(try file("b.bin", 3 * 65_537 + 5), chunkSize: 65_537)
        var report = try vault.verify(actor: officer)
        XCTAssertTrue(report.isIntact, "\(report.damage)")
        XCTAssertEqual(report.chunksChecked, 7 + 4)
        XCTAssertEqual(report.bytesChecked, a.exhibit.size + b.exhibit.size)

        let store = vault.fileStore!
        let chunks = try vault.catalog.chunks(of: a.exhibit)
        func edit(_ digest: SHA256Digest, _ change: (inout Data) -> Void) throws {
            let path = store.path(for: digest)
            chmod(path, 0o644)
            var data = try Data(contentsOf: URL(fileURLWithPath: path))
            change(&data)
            try data.write(to: URL(fileURLWithPath: path))
        }
        try edit(chunks[1].digest) { $0[7] ^= 0x40 }
        try edit(chunks[3].digest) { $0.removeLast(64) }
        XCTAssertEqual(unlink(store.path(for: chunks[5].digest)), 0)
        report = try vault.verify(actor: officer)
        XCTAssertEqual(report.damagedExhibits, [a.exhibit.id])
        XCTAssertEqual(report.damage.map(\.chunkIndex), [1, 3, 5])
        XCTAssertTrue(report.damage[0].problem.contains("now hashes to"), report.damage[0].problem)
        XCTAssertTrue(report.damage[1].problem.contains("expected \(64 << 10)"), report.damage[1].problem)
        XCTAssertTrue(report.damage[2].problem.contains("missing"), report.damage[2].problem)

        try edit(try vault.catalog.chunks(of: b.exhibit)[2].digest) { $0[65_000] ^= 1 }
        // A chunk that cannot be read at all (here a folder in its place) is damage, not a crash.
        let unreadable = store.path(for: try vault.catalog.chunks(of: b.exhibit)[0].digest)
        XCTAssertEqual(unlink(unreadable), 0)
        XCTAssertEqual(mkdir(unreadable, 0o700), 0)
        report = try vault.verify(actor: officer)
        XCTAssertEqual(report.damagedExhibits, [a.exhibit.id, b.exhibit.id])
        XCTAssertEqual(report.damage.suffix(2).map(\.chunkIndex), [0, 2])
        XCTAssertTrue(report.damage.suffix(2).first?.problem.contains("not a regular file") ?? false,
                      "\(report.damage)")
        // A FIFO in its place neither blocks verify nor passes.
        XCTAssertEqual(rmdir(unreadable), 0)
        XCTAssertEqual(mkfifo(unreadable, 0o600), 0)
        report = try vault.verify(actor: officer)
        XCTAssertTrue(report.damage.suffix(2).first?.problem.contains("not a regular file") ?? false,
                      "\(report.damage)")
    }

    func testFindByIDOrUniquePrefix() throws {
        let a = try ingest(TestPaths.fixture("bodycam-a.mp4"))
        XCTAssertEqual(try vault.catalog.find("ex-000001").id, a.exhibit.id)
        XCTAssertEqual(try vault.catalog.find(String(a.exhibit.sha256.hex.prefix(8))).id, a.exhibit.id)
        XCTAssertEqual(try vault.catalog.find(a.exhibit.sha256.hex.uppercased()).id, a.exhibit.id)
        XCTAssertThrowsError(try vault.catalog.find("EX-000099"))
        XCTAssertThrowsError(try vault.catalog.find("abc"))
        XCTAssertThrowsError(try vault.catalog.find("' OR 1=1 --"))
    }

    /// The data directory holds what custody uses and nothing for features not built yet (no
    /// `bundles/`, no link secret for signed links).
    func testInitMakesOnlyTheFoldersAndKeysInUse() throws {
        let fm = FileManager.default
        let root = vault.directory.root
        let folders = try fm.contentsOfDirectory(atPath: root).filter { name in
            var isFolder: ObjCBool = false
            return fm.fileExists(atPath: root + "/" + name, isDirectory: &isFolder) && isFolder.boolValue
        }
        XCTAssertEqual(folders.sorted(), ["chunks", "keys", "tmp", "uploads"])
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: vault.directory.keys).sorted(),
                       ["ledger.key", "ledger.pub", "link.secret"])
    }

    func testInitTwiceKeepsTheKeysAndKeysArePrivate() throws {
        let key = try String(contentsOfFile: vault.directory.ledgerPrivateKey, encoding: .utf8)
        let (_, created) = try Vault.initialize(vault.directory, org: nil, actor: officer)
        XCTAssertFalse(created)
        XCTAssertEqual(try String(contentsOfFile: vault.directory.ledgerPrivateKey, encoding: .utf8), key)
        for path in [vault.directory.ledgerPrivateKey, vault.directory.database] {
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            XCTAssertEqual(mode, 0o600, path)
        }
        XCTAssertEqual(try vault.organization(), "test")
        chmod(vault.directory.ledgerPrivateKey, 0o644)
        XCTAssertThrowsError(try vault.directory.loadLedgerKey())
    }
}
