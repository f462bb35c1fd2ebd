import Crypto
import CustodyCore
import Foundation
@testable import ObjectStore
import Storage
import StorageConformance
import XCTest

/// The ChunkStore conformance suite on S3 (moto's server, signatures checked), in a plain bucket and in an
/// Object Lock bucket, and what only an object store does: signatures refused, no overwrite, retries.
final class S3ChunkStoreTests: XCTestCase {
    nonisolated(unsafe) static var moto: MotoS3?
    var moto: MotoS3 { Self.moto! }
    var prefixes = 0

    override class func setUp() {
        moto = try? MotoS3()
    }

    override class func tearDown() { moto = nil }

    override func setUpWithError() throws {
        guard Self.moto != nil else { throw XCTSkip("moto's S3 server did not start") }
    }

    /// A store on its own prefix: each is new and empty.
    func makeStore(_ bucket: String) throws -> S3ChunkStore {
        prefixes += 1
        return S3ChunkStore(client: try moto.client(bucket, prefix: "t\(prefixes)-\(UUID().uuidString)/chunks/"),
                            versioned: bucket == "locked")
    }

    /// Tampering behind the store's back: a PUT of other bytes under the chunk's name, straight to the bucket.
    static func overwrite(_ store: any ChunkStore, _ digest: SHA256Digest, _ bytes: [UInt8]) throws {
        var request = S3Client.Request("PUT", key: digest.hex, operation: "tampering")
        request.payloadHash = SHA256.hash(bytes).hex
        _ = try bytes.withUnsafeBytes { try (store as! S3ChunkStore).client.perform(request, body: $0) }
    }

    func testConformanceInAPlainBucket() throws {
        try ChunkStoreConformance.runAll(deletion: .deletes, { try makeStore("plain") }, damage: Self.overwrite)
    }
}

extension S3ChunkStoreTests {
    func lockedStore(retainFor: Double = 3600) throws -> S3ChunkStore {
        prefixes += 1
        return try S3ChunkStore.open(moto.client("locked", prefix: "t\(prefixes)-\(UUID().uuidString)/"),
                                     lock: .init(mode: .compliance, retainFor: retainFor))
    }

    func testConformanceInAnObjectLockBucketWhereDeletionIsRefused() throws {
        try ChunkStoreConformance.runAll(deletion: .refuses, { try lockedStore() }, damage: Self.overwrite)
    }

    func testABucketWithoutObjectLockIsRefusedWhenLockingIsAsked() throws {
        XCTAssertThrowsError(try S3ChunkStore.open(moto.client("plain", prefix: "x/"),
                                                   lock: .init(mode: .governance, retainFor: 60))) {
            XCTAssertTrue("\($0)".contains("does not have Object Lock enabled"), "\($0)")
        }
        XCTAssertFalse(try S3ChunkStore.open(moto.client("plain", prefix: "x/"), lock: nil).versioned)
        XCTAssertTrue(try S3ChunkStore.open(moto.client("locked", prefix: "x/"), lock: nil).versioned)
    }

    func testAForgedSignatureIsRefusedAndNotRetried() throws {
        let forged = S3Credentials(accessKeyID: moto.started.accessKeyID, secretAccessKey: "not-the-secret")
        let waits = S3RetryTests.Waits()
        let store = S3ChunkStore(client: try moto.client("plain", prefix: "forged/", credentials: forged,
                                                     retry: RetryPolicy(sleep: { waits.record($0) })), versioned: false)
        _ = try ChunkStoreConformance.put(store, Array("evidence".utf8))
        XCTAssertThrowsError(try store.sync()) {
            XCTAssertEqual(($0 as? S3Error)?.status, 403, "\($0)")
            XCTAssertEqual(($0 as? S3Error)?.code, "SignatureDoesNotMatch", "\($0)")
        }
        XCTAssertEqual(waits.all, [], "a refusal is not asked again")
        let honest = S3ChunkStore(client: try moto.client("plain", prefix: "forged/"), versioned: false)
        XCTAssertFalse(try honest.exists(SHA256.hash(Array("evidence".utf8))), "nothing was stored")
    }

    func testAnObjectWithOtherBytesIsReplacedAndOneWithTheRightBytesIsNotWrittenAgain() throws {
        for bucket in ["plain", "locked"] {
            let store = bucket == "plain" ? try makeStore("plain") : try lockedStore()
            let real = Array("the recording".utf8)
            let digest = SHA256.hash(real)
            try Self.overwrite(store, digest, Array("something else".utf8))
            try real.withUnsafeBytes { try store.put(digest, $0) }
            try store.sync()
            // New evidence is never catalogued on top of wrong bytes: they were replaced.
            XCTAssertEqual(try ChunkStoreConformance.readChecked(store, digest), real, bucket)
            guard store.versioned else { continue }
            XCTAssertEqual(try store.versions(of: digest.hex).count, 2, "the tampered version is kept, locked")
            try real.withUnsafeBytes { try store.put(digest, $0) }
            try store.sync()
            XCTAssertEqual(try store.versions(of: digest.hex).count, 2, "right bytes are not written again")
        }
    }
}
