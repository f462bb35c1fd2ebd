import CustodyCore
import Crypto
import Foundation
import StorageConformance
import TestSupport
import XCTest
@testable import Storage

final class FileChunkStoreTests: XCTestCase {
    func testConformance() throws {
        let dir = TemporaryDirectory()
        var n = 0
        try ChunkStoreConformance.runAll(deletion: .deletes, {
            n += 1
            return try FileChunkStore(root: dir.file("chunks\(n)"))
        }, damage: { store, digest, bytes in
            let path = (store as! FileChunkStore).path(for: digest)
            XCTAssertEqual(unlink(path), 0)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        })
    }

    func testLayoutIsFanOutByFirstTwoHexDigitsAndChunksAreReadOnly() throws {
        let dir = TemporaryDirectory()
        let store = try FileChunkStore(root: dir.file("chunks"))
        let d = try ChunkStoreConformance.put(store, Array("evidence".utf8))
        try store.sync()
        let path = dir.file("chunks/\(d.hex.prefix(2))/\(d.hex)")
        XCTAssertEqual(store.path(for: d), path)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), Data("evidence".utf8))
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o444)
    }

    /// All 256 folders exist from the start (0700), and a store opened over an older one that lacks
    /// some gets them; chunks still land where `path(for:)` says.
    func testMakesEveryFolderUpFront() throws {
        let dir = TemporaryDirectory()
        let root = dir.file("chunks")
        _ = try FileChunkStore(root: root)
        let folders = try FileManager.default.contentsOfDirectory(atPath: root).filter { $0 != ".tmp" }
        XCTAssertEqual(Set(folders), Set((0...255).map { String(format: "%02x", $0) }))
        let mode = try FileManager.default.attributesOfItem(atPath: root + "/7f")[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o700)

        try FileManager.default.removeItem(atPath: root + "/ff")
        try FileManager.default.removeItem(atPath: root + "/00")
        let store = try FileChunkStore(root: root)
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/00"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/ff"))
        let d = try ChunkStoreConformance.put(store, Array("in its folder".utf8))
        try store.sync()
        XCTAssertTrue(FileManager.default.fileExists(atPath: store.path(for: d)))
    }

    func testUnsyncedChunksAreInvisibleAndDroppedWithTheStore() throws {
        let dir = TemporaryDirectory()
        var store: FileChunkStore? = try FileChunkStore(root: dir.file("chunks"))
        let d = try ChunkStoreConformance.put(store!, [1, 2, 3])
        XCTAssertFalse(try store!.exists(d))
        store = nil
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.file("chunks/.tmp")), [])
    }

    func testRemovesTemporariesOfDeadProcessesOnly() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = try FileChunkStore(root: dir.file("chunks"))
        let bytes = [UInt8](repeating: 3, count: 100)
        try bytes.withUnsafeBytes { try store.put(SHA256.hash(bytes), $0) }  // staged: this process's temporary
        let tmp = dir.file("chunks/.tmp")
        let mine = try FileManager.default.contentsOfDirectory(atPath: tmp)
        XCTAssertEqual(mine.count, 1)
        // pid 4194304 is above Linux's pid_max limit, so no such process can exist; pid 1 always does.
        // The third is as a crashed process that had this process's PID would have left it.
        for name in ["4194304-1a2b-1", "1-1a2b-1", "\(getpid())-dead-999"] {
            XCTAssertTrue(FileManager.default.createFile(atPath: tmp + "/" + name, contents: Data([1])))
        }
        XCTAssertEqual(try store.removeAbandonedTemporaries(), 2)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp).sorted(), (["1-1a2b-1"] + mine).sorted())
        try store.sync()
        XCTAssertTrue(try store.exists(SHA256.hash(bytes)), "the staged chunk survived the cleanup")
    }
}
