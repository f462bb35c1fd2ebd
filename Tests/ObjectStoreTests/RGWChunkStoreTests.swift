import XCTest

/// The ChunkStore conformance suite S3ChunkStoreTests runs on moto, on a Ceph RGW (`RGWS3`): in a plain bucket
/// and in an Object Lock bucket. Skipped unless CUSTODY_RGW_ENV names a running gateway's s3.env.
final class RGWChunkStoreTests: XCTestCase {
    var stores: S3TestStores!

    override func setUpWithError() throws {
        stores = S3TestStores(try RGWS3.fromEnvironment())
    }

    func testConformanceInAPlainBucket() throws {
        try stores.conformanceInAPlainBucket()
    }

    func testConformanceInAnObjectLockBucketWhereDeletionIsRefused() throws {
        try stores.conformanceInAnObjectLockBucket()
    }

    /// RGW ignores `If-None-Match` in a versioned bucket: the store's HEAD first is what keeps it from writing twice.
    func testAnObjectWithOtherBytesIsReplacedAndOneWithTheRightBytesIsNotWrittenAgain() throws {
        try stores.otherBytesAreReplacedAndRightOnesNotWrittenAgain()
    }
}
