import CustodyCore
import Crypto
import Foundation
import StorageConformance
import TestSupport
import XCTest
@testable import Storage

/// `ChunkCopy` between two file stores (several lanes, pages smaller than the store) and `unlisted`.
final class ChunkCopyTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUp() { dir = TemporaryDirectory() }

    /// A store of `count` different chunks of a few hundred bytes each; their names.
    func filled(_ name: String, _ count: Int) throws -> (FileChunkStore, [SHA256Digest]) {
        let store = try FileChunkStore(root: dir.file(name))
        var names: [SHA256Digest] = []
        for i in 0..<count {
            let bytes = Array("chunk \(i) ".utf8) + [UInt8](repeating: 7, count: i)
            names.append(try ChunkStoreConformance.put(store, bytes))
        }
        try store.sync()
        return (store, names.sorted())
    }

    /// Replaces the chunk's file with other bytes (what a failing disk or a tamperer leaves).
    func damage(_ store: FileChunkStore, _ digest: SHA256Digest) throws {
        let path = store.path(for: digest)
        XCTAssertEqual(unlink(path), 0)
        try Data("not the bytes of this chunk".utf8).write(to: URL(fileURLWithPath: path))
    }

    func testEveryChunkIsCopiedPageByPageOnSeveralLanesAndARunAgainCopiesNothing() throws {
        let (source, names) = try filled("source", 300)
        let target = try FileChunkStore(root: dir.file("target"))
        var heard: [ChunkCopy.Progress] = []
        let first = try ChunkCopy(from: source, to: target, checkExisting: false, lanes: 8)
            .all(pageSize: 64) { heard.append($0) }
        XCTAssertEqual(first.listed, 300)
        XCTAssertEqual(first.copied, 300)
        XCTAssertEqual(first.alreadyThere, 0)
        XCTAssertEqual(first.bytes, Int64((0..<300).reduce(0) { $0 + "chunk \($1) ".utf8.count + $1 }))
        XCTAssertEqual(heard.count, 300, "each chunk heard once")
        XCTAssertEqual(heard.map { $0.copied + $0.alreadyThere }, Array(1...300), "one at a time, in order")
        XCTAssertEqual(try target.list(after: nil, limit: 1000), names)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 16)
        defer { buffer.deallocate() }
        for name in names { XCTAssertNoThrow(try target.readChecked(name, into: buffer)) }

        for check in [false, true] {
            let again = try ChunkCopy(from: source, to: target, checkExisting: check).all(pageSize: 64)
            XCTAssertEqual(again.copied, 0)
            XCTAssertEqual(again.alreadyThere, 300)
        }
    }

    func testADamagedSourceChunkStopsTheCopyNamingItAndLeavesTheTargetUsable() throws {
        let (source, names) = try filled("source", 40)
        try damage(source, names[17])
        let target = try FileChunkStore(root: dir.file("target"))
        let copy = ChunkCopy(from: source, to: target, checkExisting: false, lanes: 4)
        XCTAssertThrowsError(try copy.all(pageSize: 16)) {
            guard case ChunkStoreError.damaged(let digest, _, _) = $0 else { return XCTFail("\($0)") }
            XCTAssertEqual(digest, names[17])
        }
        XCTAssertFalse(try target.exists(names[17]))
        XCTAssertTrue(try target.list(after: nil, limit: 100).allSatisfy { names.contains($0) && $0 != names[17] })
        // The target's next writer starts clean: nothing of the failed copy is left staged.
        let later = try ChunkStoreConformance.put(target, Array("later".utf8))
        try target.sync()
        XCTAssertTrue(try target.exists(later))
    }

    func testADamagedChunkInTheTargetIsWrittenAgainOnlyWhenCheckingWhatIsThere() throws {
        let (source, names) = try filled("source", 20)
        let target = try FileChunkStore(root: dir.file("target"))
        _ = try ChunkCopy(from: source, to: target, checkExisting: false).all()
        try damage(target, names[5])

        let trusting = try ChunkCopy(from: source, to: target, checkExisting: false).chunks(names + names)
        XCTAssertEqual(trusting.copied, 0, "there is enough for a backup's own folder")
        XCTAssertEqual(trusting.alreadyThere, 20, "each name once")

        let checking = try ChunkCopy(from: source, to: target, checkExisting: true).chunks(names)
        XCTAssertEqual(checking.copied, 1)
        XCTAssertEqual(checking.alreadyThere, 19)
        XCTAssertEqual(target.takeRepaired(), [names[5]])
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 16)
        defer { buffer.deallocate() }
        XCTAssertNoThrow(try target.readChecked(names[5], into: buffer))
    }

    func testUnlistedNamesWhatTheListingLacksBeforeBetweenAndAfterItsNames() throws {
        let (store, names) = try filled("store", 12)
        let (_, others) = try filled("others", 14)
        let absent = Array(others.filter { !names.contains($0) })
        XCTAssertEqual(absent.count, 2)
        let held = [names[0], names[5], names[11]]
        for pageSize in [1, 3, 1000] {
            XCTAssertEqual(try store.unlisted(held + absent + absent, pageSize: pageSize), absent.sorted())
            XCTAssertEqual(try store.unlisted(names, pageSize: pageSize), [])
        }
        XCTAssertEqual(try store.unlisted([]), [])
        let empty = try FileChunkStore(root: dir.file("empty"))
        XCTAssertEqual(try empty.unlisted(held), held.sorted())
    }
}
