import CustodyCore
import Crypto
import Foundation
import Storage
import XCTest

/// Behaviour every `ChunkStore` must have. Each store's test case calls `runAll` with a factory of
/// new, empty stores, what its `delete` does, and a way to damage a stored chunk behind its back.
public enum ChunkStoreConformance {
    /// What `delete` does in a store: removes the chunk, or refuses (WORM storage, Object Lock).
    public enum Deletion: Sendable { case deletes, refuses }

    /// Replaces the stored bytes of a chunk with others, as disk rot or tampering would.
    public typealias Damage = (any ChunkStore, SHA256Digest, [UInt8]) throws -> Void

    public static func runAll(deletion: Deletion, _ make: () throws -> any ChunkStore,
                              damage: Damage) throws {
        try roundTrip(try make())
        try idempotentPut(try make())
        try rangedReads(try make())
        try missingChunk(try make())
        try bufferTooSmall(try make())
        try manyChunksAcrossSyncBatches(try make())
        try listPagesCoverEveryChunkOnce(try make())
        try delete(try make(), deletion)
        try damagedChunkIsDetectedOnRead(try make(), damage: damage)
    }

    public static func bytes(_ seed: UInt8, _ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
    }

    public static func put(_ store: any ChunkStore, _ data: [UInt8]) throws -> SHA256Digest {
        let d = SHA256.hash(data)
        try data.withUnsafeBytes { try store.put(d, $0) }
        return d
    }

    public static func read(_ store: any ChunkStore, _ d: SHA256Digest, capacity: Int = 1 << 20) throws -> [UInt8] {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        let n = try store.read(d, into: buffer)
        return Array(buffer[0..<n])
    }

    /// Reads `range` into a buffer one byte larger, and checks that byte is left alone.
    public static func read(_ store: any ChunkStore, _ d: SHA256Digest, range: Range<Int>) throws -> [UInt8] {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: range.count + 1, alignment: 16)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0xA5)
        try store.read(d, range: range, into: buffer)
        XCTAssertEqual(buffer[range.count], 0xA5, "a read of \(range) wrote past \(range.count) bytes")
        return Array(buffer[0..<range.count])
    }

    public static func readChecked(_ store: any ChunkStore, _ d: SHA256Digest) throws -> [UInt8] {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        return Array(try store.readChecked(d, into: buffer))
    }

    public static func roundTrip(_ store: any ChunkStore) throws {
        let data = bytes(1, 100_000)
        let d = try put(store, data)
        try store.sync()
        XCTAssertTrue(try store.exists(d))
        XCTAssertEqual(try read(store, d), data)
        XCTAssertEqual(try readChecked(store, d), data)
        let empty = try put(store, [])
        try store.sync()
        XCTAssertTrue(try store.exists(empty))
        XCTAssertEqual(try read(store, empty), [])
        XCTAssertEqual(try readChecked(store, empty), [])
    }

    /// A chunk put again, staged or stored, is the same one chunk.
    public static func idempotentPut(_ store: any ChunkStore) throws {
        let data = bytes(2, 5000)
        let d = try put(store, data)
        _ = try put(store, data)
        try store.sync()
        _ = try put(store, data)
        try store.sync()
        XCTAssertEqual(try read(store, d), data)
        XCTAssertEqual(try store.list(after: nil, limit: 10), [d])
    }

    public static func rangedReads(_ store: any ChunkStore) throws {
        let data = bytes(4, 10_000)
        let d = try put(store, data)
        let empty = try put(store, [])
        try store.sync()
        let n = data.count
        for range in [0..<n, 0..<0, 0..<1, 1..<2, 4095..<4097, n - 1..<n, n..<n, 17..<n - 17] {
            XCTAssertEqual(try read(store, d, range: range), Array(data[range]), "\(range)")
        }
        XCTAssertEqual(try read(store, empty, range: 0..<0), [])
        for range in [0..<n + 1, n..<n + 1, n + 1..<n + 1, n - 1..<n + 4096, -1..<1] {
            XCTAssertThrowsError(try read(store, d, range: range), "\(range)") {
                XCTAssertEqual($0 as? ChunkStoreError, .outOfRange(d, range, size: n))
            }
        }
        XCTAssertThrowsError(try read(store, empty, range: 0..<1)) {
            XCTAssertEqual($0 as? ChunkStoreError, .outOfRange(empty, 0..<1, size: 0))
        }
    }

    public static func missingChunk(_ store: any ChunkStore) throws {
        let d = SHA256.hash([9, 9, 9])
        XCTAssertFalse(try store.exists(d))
        XCTAssertThrowsError(try read(store, d)) { XCTAssertEqual($0 as? ChunkStoreError, .missing(d)) }
        XCTAssertThrowsError(try read(store, d, range: 0..<1)) { XCTAssertEqual($0 as? ChunkStoreError, .missing(d)) }
        XCTAssertThrowsError(try read(store, d, range: 0..<0)) { XCTAssertEqual($0 as? ChunkStoreError, .missing(d)) }
        XCTAssertThrowsError(try readChecked(store, d)) { XCTAssertEqual($0 as? ChunkStoreError, .missing(d)) }
    }

    public static func bufferTooSmall(_ store: any ChunkStore) throws {
        let d = try put(store, bytes(3, 4096))
        try store.sync()
        XCTAssertThrowsError(try read(store, d, capacity: 1024)) {
            XCTAssertEqual($0 as? ChunkStoreError, .tooLarge(d, 4096))
        }
    }

    public static func manyChunksAcrossSyncBatches(_ store: any ChunkStore) throws {
        var digests = [(SHA256Digest, [UInt8])]()
        for i in 0..<100 {
            let data = bytes(UInt8(i), 1000 + i)
            digests.append((try put(store, data), data))
        }
        try store.sync()
        for (d, data) in digests { XCTAssertEqual(try read(store, d), data) }
    }
}
