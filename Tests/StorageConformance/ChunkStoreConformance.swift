import CustodyCore
import Foundation
import Crypto
import XCTest
import Storage

/// Behaviour every `ChunkStore` must have. Each backend's test case calls `runAll` with a factory.
public enum ChunkStoreConformance {
    public static func runAll(_ make: () throws -> ChunkStore, file: StaticString = #filePath,
                              line: UInt = #line) throws {
        try roundTrip(try make())
        try idempotentPut(try make())
        try missingChunk(try make())
        try bufferTooSmall(try make())
        try manyChunksAcrossSyncBatches(try make())
        try adoptTakesAFileOnce(try make())
    }

    public static func bytes(_ seed: UInt8, _ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
    }

    public static func put(_ store: ChunkStore, _ data: [UInt8]) throws -> SHA256Digest {
        let d = SHA256.hash(data)
        try data.withUnsafeBytes { try store.put(d, $0) }
        return d
    }

    public static func read(_ store: ChunkStore, _ d: SHA256Digest, capacity: Int = 1 << 20) throws -> [UInt8] {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        let n = try store.read(d, into: buffer)
        return Array(buffer[0..<n])
    }

    public static func roundTrip(_ store: ChunkStore) throws {
        let data = bytes(1, 100_000)
        let d = try put(store, data)
        try store.sync()
        XCTAssertTrue(store.contains(d))
        XCTAssertEqual(try read(store, d), data)
        let empty = try put(store, [])
        try store.sync()
        XCTAssertEqual(try read(store, empty), [])
    }

    public static func idempotentPut(_ store: ChunkStore) throws {
        let data = bytes(2, 5000)
        let d = try put(store, data)
        _ = try put(store, data)
        try store.sync()
        _ = try put(store, data)
        try store.sync()
        XCTAssertEqual(try read(store, d), data)
    }

    public static func missingChunk(_ store: ChunkStore) throws {
        let d = SHA256.hash([9, 9, 9])
        XCTAssertFalse(store.contains(d))
        XCTAssertThrowsError(try read(store, d)) { XCTAssertEqual($0 as? ChunkStoreError, .missing(d)) }
    }

    public static func bufferTooSmall(_ store: ChunkStore) throws {
        let d = try put(store, bytes(3, 4096))
        try store.sync()
        XCTAssertThrowsError(try read(store, d, capacity: 1024)) {
            XCTAssertEqual($0 as? ChunkStoreError, .tooLarge(d, 4096))
        }
    }

    public static func manyChunksAcrossSyncBatches(_ store: ChunkStore) throws {
        var digests = [(SHA256Digest, [UInt8])]()
        for i in 0..<100 {
            let data = bytes(UInt8(i), 1000 + i)
            digests.append((try put(store, data), data))
        }
        try store.sync()
        for (d, data) in digests { XCTAssertEqual(try read(store, d), data) }
    }

    /// `adopt` takes a durable file as a chunk (gone from its old place), and drops a file whose
    /// chunk the store already holds, keeping the stored one.
    public static func adoptTakesAFileOnce(_ store: ChunkStore) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("adopt-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = bytes(7, 70_000)
        let d = SHA256.hash(data)
        try Data(data).write(to: URL(fileURLWithPath: dir + "/piece"))
        try store.adopt(dir + "/piece", as: d)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/piece"))
        XCTAssertEqual(try read(store, d), data)
        try Data(data).write(to: URL(fileURLWithPath: dir + "/again"))
        try store.adopt(dir + "/again", as: d)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/again"))
        XCTAssertEqual(try read(store, d), data)
        // A batch: new chunks, one the store holds, and the same chunk twice.
        let batch = (0..<5).map { bytes(UInt8(20 + $0), 5000 + $0) } + [data, bytes(20, 5000)]
        var files: [(path: String, digest: SHA256Digest)] = []
        for (i, chunk) in batch.enumerated() {
            try Data(chunk).write(to: URL(fileURLWithPath: dir + "/b\(i)"))
            files.append((dir + "/b\(i)", SHA256.hash(chunk)))
        }
        try store.adopt(files)
        for (i, chunk) in batch.enumerated() {
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/b\(i)"))
            XCTAssertTrue(store.contains(SHA256.hash(chunk)))
            XCTAssertEqual(try read(store, SHA256.hash(chunk)), chunk)
        }
        // The same batch again, as after an interruption: the files are gone, the chunks stored.
        try store.adopt(files)
        XCTAssertEqual(try read(store, files[0].digest), batch[0])
        // A file gone whose chunk the store does not hold is an error.
        XCTAssertThrowsError(try store.adopt([(dir + "/never", SHA256.hash([9, 9, 9]))]))
    }
}
