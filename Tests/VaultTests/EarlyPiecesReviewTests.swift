import Crypto
import CustodyCore
import Foundation
import ObjectStore
import Storage
import TestSupport
@testable import Uploads
import XCTest

/// Review of the early pieces (h-rev): how many early PUTs one process has in flight when many uploads have
/// sealed pieces at once. Each holds a thread, a connection and two copies of its piece (8 MiB for a real one);
/// the bucket's store says it sends at most `parallelPUTs` (8) at a time, and the early ones should count too.
final class EarlyPiecesReviewTests: XCTestCase {
    /// The store in moto's bucket, counting the `storeEarly` calls under way and the most at once.
    final class Counted: EarlyChunkStore, @unchecked Sendable {
        let store: S3ChunkStore
        private let lock = NSLock()
        private var now = 0
        private(set) var most = 0
        init(_ store: S3ChunkStore) { self.store = store }

        func storeEarly(_ digest: SHA256Digest, _ bytes: [UInt8]) throws -> EarlyOutcome {
            lock.withLock { now += 1; most = max(most, now) }
            defer { lock.withLock { now -= 1 } }
            return try store.storeEarly(digest, bytes)
        }
        func forgetEarly(_ digest: SHA256Digest) { store.forgetEarly(digest) }
        func put(_ digest: SHA256Digest, _ bytes: UnsafeRawBufferPointer) throws { try store.put(digest, bytes) }
        func sync() throws { try store.sync() }
        func read(_ digest: SHA256Digest, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            try store.read(digest, into: buffer)
        }
        func read(_ digest: SHA256Digest, range: Range<Int>, into buffer: UnsafeMutableRawBufferPointer) throws {
            try store.read(digest, range: range, into: buffer)
        }
        func exists(_ digest: SHA256Digest) throws -> Bool { try store.exists(digest) }
        func list(after cursor: SHA256Digest?, limit: Int) throws -> [SHA256Digest] {
            try store.list(after: cursor, limit: limit)
        }
        func delete(_ digest: SHA256Digest) throws { try store.delete(digest) }
        func adopt(_ files: [(path: String, digest: SHA256Digest)]) throws { try store.adopt(files) }
        func takeRepaired() -> [SHA256Digest] { store.takeRepaired() }
    }

    func testEarlyPUTsOfManyUploadsStayWithinTheStoresParallelPUTs() throws {
        let moto: MotoServer
        do { moto = try MotoServer() } catch { throw XCTSkip("moto's S3 server did not start: \(error)") }
        defer { moto.stop() }
        let location = S3Location(bucket: moto.bucketName("plain"), prefix: "early-" + UUID().uuidString.prefix(8),
                                  host: moto.host, port: moto.port)
        let credentials = S3Credentials(accessKeyID: moto.accessKeyID, secretAccessKey: moto.secretAccessKey)
        let counted = Counted(try S3ChunkStore.open(S3Client(location: location, credentials: credentials), lock: nil))
        let folder = TemporaryDirectory("early-pieces")
        // 24 uploads of docks at the end of a shift, 3 sealed pieces each (1 MiB here; 4 MiB in service).
        let ids = (0..<24).map { _ in Hex.encode(Array(UUID().uuidString.utf8.prefix(16))) }
        var uploads: [(String, [(path: String, digest: SHA256Digest, size: Int)])] = []
        for id in ids {
            uploads.append((id, (0..<3).map { index in
                let bytes = Array("\(id)/\(index)".utf8) + [UInt8](repeating: UInt8(index), count: 1 << 20)
                let path = folder.file("\(id)-p\(index)")
                XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
                return (path, SHA256.hash(bytes), bytes.count)
            }))
        }
        for (id, pieces) in uploads { EarlyPieces.shared.sealed(id, pieces, store: counted) }
        let names = Set(uploads.flatMap { $0.1.map(\.digest) })
        eventually(timeout: 120) { (try? Set(counted.list(after: nil, limit: 1000))) == names }
        for id in ids { EarlyPieces.shared.settle(id, abandoned: true) }
        XCTAssertLessThanOrEqual(counted.most, 8, "early PUTs in flight at once, over every upload")
    }
}
