import CustodyCore
import Storage
import StorageConformance
import XCTest

/// The conformance suite on a second, in-memory store: once deleting, once write-once.
final class MemoryChunkStoreTests: XCTestCase {
    func testConformance() throws {
        try ChunkStoreConformance.runAll(deletion: .deletes, { MemoryChunkStore() }, damage: Self.overwrite)
    }

    func testConformanceOfAWriteOnceStore() throws {
        try ChunkStoreConformance.runAll(deletion: .refuses, { MemoryChunkStore(worm: true) }, damage: Self.overwrite)
    }

    static func overwrite(_ store: any ChunkStore, _ digest: SHA256Digest, _ bytes: [UInt8]) {
        (store as! MemoryChunkStore).overwrite(digest, with: bytes)
    }
}
