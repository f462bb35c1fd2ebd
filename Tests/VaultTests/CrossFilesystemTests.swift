import Catalog
import CustodyCore
import Foundation
import POSIX
import TestSupport
import XCTest
@testable import Vault

/// `chunks/` and `keys/` may live on another filesystem than the data directory (a big evidence
/// volume mounted or linked there): their temporaries must be renamed within that filesystem.
final class CrossFilesystemTests: XCTestCase {
    func testChunksAndKeysOnAnotherFilesystemStillStoreAndExport() throws {
        let dir = TemporaryDirectory(onDisk: true)
        let elsewhere = "/dev/shm/custody-test-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FS.mkdir(elsewhere, 0o700)
        defer { try? FileManager.default.removeItem(atPath: elsewhere) }
        guard try !FS.sameFileSystem(dir.path, elsewhere) else {
            throw XCTSkip("/dev/shm and \(dir.path) are one filesystem here")
        }
        let root = dir.file("data")
        try FS.mkdir(root, 0o700)
        for folder in ["chunks", "keys"] {
            try FS.mkdir(elsewhere + "/" + folder, 0o700)
            try FileManager.default.createSymbolicLink(atPath: root + "/" + folder,
                                                       withDestinationPath: elsewhere + "/" + folder)
        }
        let officer = Actor.officer("PC-1")
        let vault = try Vault.initialize(DataDirectory(root: root), org: "test", actor: officer).0
        XCTAssertTrue(FS.exists(elsewhere + "/keys/ledger.key"))

        let fixture = TestPaths.fixture("bodycam-a.mp4")
        let stored = try vault.ingest(path: fixture, source: IngestSource(filename: "bodycam-a.mp4", device: "BW2-1"),
                                      actor: officer, chunkSize: 64 << 10)
        XCTAssertFalse(stored.duplicate)
        let out = dir.file("out.mp4")
        _ = try vault.export(stored.exhibit.id, to: out, by: officer, reason: "court")
        XCTAssertEqual(FileManager.default.contents(atPath: out), FileManager.default.contents(atPath: fixture))
        XCTAssertTrue(try vault.verify(actor: officer).isIntact)
    }
}
