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
    lazy var stores = S3TestStores(moto)

    override class func setUp() {
        moto = try? MotoS3()
    }

    override class func tearDown() { moto = nil }

    override func setUpWithError() throws {
        guard Self.moto != nil else { throw XCTSkip("moto's S3 server did not start") }
    }

    func testConformanceInAPlainBucket() throws {
        try stores.conformanceInAPlainBucket()
    }
}

extension S3ChunkStoreTests {
    func testConformanceInAnObjectLockBucketWhereDeletionIsRefused() throws {
        try stores.conformanceInAnObjectLockBucket()
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
        try stores.otherBytesAreReplacedAndRightOnesNotWrittenAgain()
    }
}
