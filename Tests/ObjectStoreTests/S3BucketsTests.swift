import Crypto
import CustodyCore
import Foundation
@testable import ObjectStore
import Storage
import StorageConformance
import XCTest

/// One client and one bucket check per bucket and key pair per process (`S3Buckets`), each caller with a store
/// of its own; a failed open remembered for a while.
extension S3ChunkStoreTests {
    func testStoresOfOneBucketShareOneClientAndOneCheckButNotTheirWriterState() throws {
        let buckets = S3Buckets()
        let location = moto.location("locked", prefix: "shared-\(UUID().uuidString.prefix(8))/")
        let lock = S3ChunkStore.ObjectLock(mode: .governance, retainFor: 60)
        let first = try buckets.store(location, credentials: moto.credentials, lock: lock)
        let second = try buckets.store(location, credentials: moto.credentials, lock: nil)
        XCTAssertEqual(buckets.checks, 1, "the bucket is checked once")
        XCTAssertTrue(first.client === second.client, "one client, one connection pool")
        XCTAssertFalse(first === second, "each caller has its own writer state")
        XCTAssertTrue(first.versioned && second.versioned)
        XCTAssertEqual(first.lock, lock)
        XCTAssertNil(second.lock)

        // A PUT of one store is not the other's to sync: the second has nothing pending.
        let digest = try ChunkStoreConformance.put(first, Array("one writer's chunk".utf8))
        try second.sync()
        try first.sync()
        XCTAssertTrue(try second.exists(digest))

        let plain = moto.location("plain", prefix: location.prefix)
        XCTAssertThrowsError(try buckets.store(plain, credentials: moto.credentials, lock: lock)) {
            XCTAssertTrue("\($0)".contains("does not have Object Lock enabled"), "\($0)")
        }
        XCTAssertEqual(buckets.checks, 2, "another bucket is checked on its own")
        _ = try buckets.store(plain, credentials: moto.credentials, lock: nil)
        XCTAssertEqual(buckets.checks, 2, "and once")
    }

    func testAFailedOpenIsRememberedAndAnotherKeyPairOpensOnItsOwn() throws {
        let buckets = S3Buckets(retryAfter: 3600)
        let location = moto.location("plain", prefix: "failed/")
        let forged = S3Credentials(accessKeyID: moto.started.accessKeyID, secretAccessKey: "not-the-secret")
        for _ in 0..<3 {
            XCTAssertThrowsError(try buckets.store(location, credentials: forged, lock: nil)) {
                XCTAssertEqual(($0 as? S3Error)?.status, 403, "\($0)")
            }
        }
        XCTAssertEqual(buckets.checks, 1, "a failed open is thrown again without asking")
        _ = try buckets.store(location, credentials: moto.credentials, lock: nil)
        XCTAssertEqual(buckets.checks, 2, "the right key pair is another opening")
    }
}
