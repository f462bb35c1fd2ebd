import Crypto
import CustodyCore
import Foundation
@testable import ObjectStore
import Storage
import StorageConformance
import XCTest

/// An upload's pieces stored early (`storeEarly`) and then adopted, on moto's server: the completion only asks
/// (HEAD) for a chunk this process stored early, while one found present from elsewhere is still refused by
/// `If-None-Match` and read back; a forgotten one, or one deleted
/// elsewhere meanwhile, is sent again; a repair made early is named by its early PUT only.
final class S3EarlyStoreTests: XCTestCase {
    nonisolated(unsafe) static var moto: MotoS3?
    var moto: MotoS3 { Self.moto! }
    lazy var stores = S3TestStores(moto)

    override class func setUp() { moto = try? MotoS3() }
    override class func tearDown() { moto = nil }

    override func setUpWithError() throws {
        guard Self.moto != nil else { throw XCTSkip("moto's S3 server did not start") }
    }

    /// Requests signed by a store's client (each one signs once in a plain bucket).
    final class Requests: @unchecked Sendable {
        private let lock = NSLock()
        private var n = 0
        var count: Int { lock.withLock { n } }
        func now() -> Date { lock.withLock { n += 1 }; return Date() }
    }

    /// A plain-bucket store on a fresh prefix counting its requests, and a second store (a second process, say)
    /// on the same prefix.
    func counted() throws -> (S3ChunkStore, Requests, other: S3ChunkStore) {
        let requests = Requests()
        let prefix = stores.freshPrefix("chunks/")
        let store = S3ChunkStore(client: try moto.client("plain", prefix: prefix, now: { requests.now() }),
                                 versioned: false)
        return (store, requests, S3ChunkStore(client: try moto.client("plain", prefix: prefix), versioned: false))
    }

    /// A piece file holding `text`, and its name.
    func piece(_ text: String) throws -> (path: String, digest: SHA256Digest, bytes: [UInt8]) {
        let bytes = Array(text.utf8)
        let path = NSTemporaryDirectory() + "piece-" + UUID().uuidString
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        return (path, SHA256.hash(bytes), bytes)
    }

    func testAChunkStoredEarlyIsNotSentAgainAndOneFromElsewhereIsStillChecked() throws {
        let (store, requests, other) = try counted()
        let early = try piece("stored early by this process")
        let elsewhere = try piece("stored by another process")
        XCTAssertEqual(try store.storeEarly(early.digest, early.bytes), .stored)
        XCTAssertEqual(try ChunkStoreConformance.readChecked(other, early.digest), early.bytes, "durable already")
        try elsewhere.bytes.withUnsafeBytes { try other.put(elsewhere.digest, $0) }
        try other.sync()

        let before = requests.count
        try store.adopt([(early.path, early.digest)])
        XCTAssertEqual(requests.count, before + 1, "only a HEAD for a chunk this process stored early")
        XCTAssertFalse(FileManager.default.fileExists(atPath: early.path))
        try store.adopt([(elsewhere.path, elsewhere.digest)])
        XCTAssertEqual(requests.count, before + 3,
                       "the HEAD above, a PUT refused by If-None-Match, then the GET that checks it")
        XCTAssertFalse(FileManager.default.fileExists(atPath: elsewhere.path))
        XCTAssertEqual(try ChunkStoreConformance.readChecked(store, early.digest), early.bytes)
    }

    func testAForgottenOrDeletedChunkIsSentAgain() throws {
        let (store, requests, other) = try counted()
        let forgotten = try piece("its upload was abandoned")
        let deleted = try piece("deleted by this process")
        let elsewhere = try piece("deleted by another process")
        for p in [forgotten, deleted, elsewhere] {
            XCTAssertEqual(try store.storeEarly(p.digest, p.bytes), .stored)
        }
        store.forgetEarly(forgotten.digest)
        try store.delete(deleted.digest)
        try other.delete(elsewhere.digest)
        let before = requests.count
        try store.adopt([(forgotten.path, forgotten.digest), (deleted.path, deleted.digest),
                         (elsewhere.path, elsewhere.digest)])
        XCTAssertGreaterThanOrEqual(requests.count, before + 4, "a HEAD, and all three sent again")
        XCTAssertEqual(try ChunkStoreConformance.readChecked(store, elsewhere.digest), elsewhere.bytes)
        XCTAssertEqual(try ChunkStoreConformance.readChecked(store, deleted.digest), deleted.bytes)
        XCTAssertEqual(try ChunkStoreConformance.readChecked(store, forgotten.digest), forgotten.bytes)
    }

    /// Said by `storeEarly`, for its upload to record however it ends; not named again by the completion's `adopt`.
    func testAnObjectRepairedEarlyIsNamedByItsEarlyPUTOnly() throws {
        let (store, _, _) = try counted()
        let p = try piece("the recording's piece")
        try S3TestStores.overwrite(store, p.digest, Array("tampered".utf8))
        XCTAssertEqual(try store.storeEarly(p.digest, p.bytes), .repaired)
        XCTAssertEqual(store.takeRepaired(), [])
        try store.adopt([(p.path, p.digest)])
        XCTAssertEqual(store.takeRepaired(), [], "recorded once, by the upload")
        XCTAssertEqual(try ChunkStoreConformance.readChecked(store, p.digest), p.bytes)
    }
}
