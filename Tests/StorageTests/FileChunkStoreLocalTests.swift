import CustodyCore
import Crypto
import Foundation
import POSIX
import StorageConformance
import TestSupport
import XCTest
@testable import Storage

/// What only the file store does, beyond `ChunkStore`: adopting files, and how its folders show
/// through `list` and `exists`.
final class FileChunkStoreLocalTests: XCTestCase {
    typealias Suite = ChunkStoreConformance

    /// `adopt` takes a durable file as a chunk (gone from its old place), and drops a file whose
    /// chunk the store already holds, keeping the stored one.
    func testAdoptTakesAFileOnce() throws {
        let dir = TemporaryDirectory()
        let store = try FileChunkStore(root: dir.file("chunks"))
        let data = Suite.bytes(7, 70_000)
        let d = SHA256.hash(data)
        try Data(data).write(to: URL(fileURLWithPath: dir.file("piece")))
        try store.adopt(dir.file("piece"), as: d)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("piece")))
        XCTAssertEqual(try Suite.read(store, d), data)
        try Data(data).write(to: URL(fileURLWithPath: dir.file("again")))
        try store.adopt(dir.file("again"), as: d)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("again")))
        XCTAssertEqual(try Suite.read(store, d), data)
        // A batch: new chunks, one the store holds, and the same chunk twice.
        let batch = (0..<5).map { Suite.bytes(UInt8(20 + $0), 5000 + $0) } + [data, Suite.bytes(20, 5000)]
        var files: [(path: String, digest: SHA256Digest)] = []
        for (i, chunk) in batch.enumerated() {
            try Data(chunk).write(to: URL(fileURLWithPath: dir.file("b\(i)")))
            files.append((dir.file("b\(i)"), SHA256.hash(chunk)))
        }
        try store.adopt(files)
        for (i, chunk) in batch.enumerated() {
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("b\(i)")))
            XCTAssertEqual(try Suite.readChecked(store, SHA256.hash(chunk)), chunk)
        }
        XCTAssertEqual(try store.list(after: nil, limit: 100), Set(files.map(\.digest)).sorted())
        // The same batch again, as after an interruption: the files are gone, the chunks stored.
        try store.adopt(files)
        XCTAssertEqual(try Suite.read(store, files[0].digest), batch[0])
        // A file gone whose chunk the store does not hold is an error.
        XCTAssertThrowsError(try store.adopt([(dir.file("never"), SHA256.hash([9, 9, 9]))]))
    }

    /// Staged chunks, temporaries and files not named by their own lower-case SHA-256 in their
    /// folder are no chunks.
    func testListShowsOnlyChunkFilesInTheirFolders() throws {
        let dir = TemporaryDirectory()
        let root = dir.file("chunks")
        let store = try FileChunkStore(root: root)
        let stored = try Suite.put(store, Suite.bytes(1, 100))
        try store.sync()
        let staged = try Suite.put(store, Suite.bytes(2, 100))
        let other = SHA256.hash([4, 5, 6])
        let folder = root + "/" + stored.hex.prefix(2)
        let misplaced = other.hex.hasPrefix(stored.hex.prefix(2)) ? SHA256.hash([4, 5, 7]) : other
        let mixedCase = stored.hex.prefix(2) + stored.hex.dropFirst(2).uppercased()
        for stray in [folder + "/README", folder + "/" + misplaced.hex, folder + "/" + mixedCase,
                      folder + "/" + stored.hex + ".tmp", root + "/" + other.hex] {
            XCTAssertTrue(FileManager.default.createFile(atPath: stray, contents: Data([1])), stray)
        }
        XCTAssertEqual(try store.list(after: nil, limit: 10), [stored])
        XCTAssertFalse(try store.exists(staged))
        try store.sync()
        XCTAssertEqual(try store.list(after: nil, limit: 10), [stored, staged].sorted())
    }

    /// A store that cannot tell whether it holds a chunk says so instead of answering no.
    func testExistsThrowsWhenTheFolderIsNoFolder() throws {
        let dir = TemporaryDirectory()
        let store = try FileChunkStore(root: dir.file("chunks"))
        let d = SHA256.hash([1])
        let folder = dir.file("chunks/\(d.hex.prefix(2))")
        try FileManager.default.removeItem(atPath: folder)
        XCTAssertTrue(FileManager.default.createFile(atPath: folder, contents: Data()))
        XCTAssertThrowsError(try store.exists(d)) { XCTAssertEqual(($0 as? SystemError)?.errno, ENOTDIR) }
        XCTAssertThrowsError(try store.list(after: nil, limit: 10)) {
            XCTAssertEqual(($0 as? SystemError)?.errno, ENOTDIR)
        }
    }
}
