import CustodyCore
import Crypto
import Storage
import XCTest

extension ChunkStoreConformance {
    /// Every page is in ascending order, after its cursor and at most `limit` long; together the pages
    /// name every chunk exactly once, whatever the page size.
    public static func listPagesCoverEveryChunkOnce(_ store: any ChunkStore) throws {
        XCTAssertEqual(try store.list(after: nil, limit: 10), [])
        var expected = [try put(store, [])]
        for i in 0..<299 { expected.append(try put(store, bytes(UInt8(truncatingIfNeeded: i), 100 + i))) }
        try store.sync()
        expected.sort()
        XCTAssertEqual(Set(expected).count, 300)
        for limit in [1, 7, 64, 299, 300, 301, 1000] {
            XCTAssertEqual(try allPages(store, limit: limit), expected, "pages of \(limit)")
        }
        // A cursor need not name a stored chunk.
        let between = SHA256.hash([1, 2, 3])
        XCTAssertFalse(expected.contains(between))
        XCTAssertEqual(try store.list(after: between, limit: 20), Array(expected.filter { $0 > between }.prefix(20)))
        XCTAssertEqual(try store.list(after: SHA256Digest(bytes: [UInt8](repeating: 0xff, count: 32)), limit: 5), [])
        XCTAssertEqual(try store.list(after: expected[0], limit: 3), Array(expected[1...3]))
    }

    /// Follows the cursor until a short page, checking each page.
    static func allPages(_ store: any ChunkStore, limit: Int) throws -> [SHA256Digest] {
        var all: [SHA256Digest] = []
        var cursor: SHA256Digest?
        while true {
            let page = try store.list(after: cursor, limit: limit)
            XCTAssertLessThanOrEqual(page.count, limit)
            XCTAssertEqual(page, page.sorted(), "a page is in ascending order")
            XCTAssertEqual(Set(page).count, page.count)
            // A page that does not move past its cursor would be followed for ever.
            if let cursor, !page.allSatisfy({ $0 > cursor }) {
                XCTFail("a page of \(limit) after \(cursor) does not start after it")
                return all
            }
            all += page
            if page.count < limit { return all }
            cursor = page.last
        }
    }

    /// A deleted chunk is gone for good, and deleting it again is no error; a store that refuses keeps
    /// the chunk intact and says so with `ChunkStoreError.deletionRefused`.
    public static func delete(_ store: any ChunkStore, _ deletion: Deletion) throws {
        let a = bytes(5, 3000), b = bytes(6, 3000)
        let da = try put(store, a), db = try put(store, b)
        try store.sync()
        switch deletion {
        case .deletes:
            try store.delete(da)
            XCTAssertFalse(try store.exists(da))
            XCTAssertThrowsError(try read(store, da)) { XCTAssertEqual($0 as? ChunkStoreError, .missing(da)) }
            XCTAssertEqual(try store.list(after: nil, limit: 10), [db])
            XCTAssertNoThrow(try store.delete(da), "deleting a chunk that is not there")
            _ = try put(store, a)
            try store.sync()
            XCTAssertEqual(try read(store, da), a, "a deleted chunk can be put again")
        case .refuses:
            XCTAssertThrowsError(try store.delete(da)) {
                guard case .deletionRefused(da, let reason)? = $0 as? ChunkStoreError else {
                    return XCTFail("\($0) is no refusal to delete \(da)")
                }
                XCTAssertFalse(reason.isEmpty)
            }
            XCTAssertTrue(try store.exists(da))
            XCTAssertEqual(try readChecked(store, da), a)
            XCTAssertEqual(try store.list(after: nil, limit: 10), [da, db].sorted())
        }
        XCTAssertNoThrow(try store.delete(SHA256.hash([7, 7])), "a chunk never stored")
        XCTAssertEqual(try readChecked(store, db), b, "the other chunk is untouched")
    }

    /// A chunk whose stored bytes changed is handed back as it is now, never as it was, and
    /// `readChecked` refuses it, whatever the change.
    public static func damagedChunkIsDetectedOnRead(_ store: any ChunkStore, damage: Damage) throws {
        let data = bytes(8, 9000)
        let d = try put(store, data)
        try store.sync()
        XCTAssertEqual(try readChecked(store, d), data)
        var flipped = data
        flipped[4321] ^= 0x10
        for changed in [flipped, Array(data.dropLast()), [], data + [0]] {
            try damage(store, d, changed)
            XCTAssertTrue(try store.exists(d))
            XCTAssertEqual(try read(store, d), changed)
            XCTAssertThrowsError(try readChecked(store, d)) {
                XCTAssertEqual($0 as? ChunkStoreError, .damaged(d, actual: SHA256.hash(changed), size: changed.count))
            }
            guard changed.count < data.count else { continue }
            XCTAssertThrowsError(try read(store, d, range: 0..<data.count)) {
                XCTAssertEqual($0 as? ChunkStoreError, .outOfRange(d, 0..<data.count, size: changed.count))
            }
        }
    }
}
