import Crypto
import CustodyCore
import Foundation
@testable import ObjectStore
import Storage
import StorageConformance
import XCTest

/// What moto does not check and a Ceph RGW does (`RGWS3`; skipped unless CUSTODY_RGW_ENV is set): a body that does
/// not match its signed payload hash or its Content-MD5, a signature too old, a COMPLIANCE retention shortened, and a
/// deletion under Object Lock or a legal hold.
final class RGWRefusalsTests: XCTestCase {
    var rgw: RGWS3!
    var stores: S3TestStores!

    override func setUpWithError() throws {
        rgw = try RGWS3.fromEnvironment()
        stores = S3TestStores(rgw)
    }

    /// A PUT of `body` under `digest`'s name, signed with `payloadHash` as its `x-amz-content-sha256`.
    func put(_ store: S3ChunkStore, _ digest: SHA256Digest, body: [UInt8], payloadHash: String,
             md5Of md5Bytes: [UInt8]) throws {
        var request = S3Client.Request("PUT", key: digest.hex, operation: "PUT of \(digest)")
        request.payloadHash = payloadHash
        request.fields = [("Content-MD5", md5Bytes.withUnsafeBytes { Base64.encode(MD5.hash($0)) })]
        try body.withUnsafeBytes { _ = try store.client.perform(request, body: $0) }
    }

    func assertRefused(_ expression: @autoclosure () throws -> Void, status: Int, code: String,
                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try expression(), file: file, line: line) {
            XCTAssertEqual(($0 as? S3Error)?.status, status, "\($0)", file: file, line: line)
            XCTAssertEqual(($0 as? S3Error)?.code, code, "\($0)", file: file, line: line)
        }
    }

    func testABodyThatDoesNotMatchItsSignedPayloadHashIsRefusedAndNothingIsStored() throws {
        let store = try stores.plain()
        let chunk = Array("the recording".utf8), other = Array("the recordinG".utf8)
        let digest = SHA256.hash(chunk)
        assertRefused(try put(store, digest, body: other, payloadHash: digest.hex, md5Of: other),
                      status: 400, code: "XAmzContentSHA256Mismatch")
        XCTAssertFalse(try store.exists(digest), "nothing is stored under the chunk's name")
        // The same request with the bytes it was signed for is taken: what was refused was the body.
        try put(store, digest, body: chunk, payloadHash: digest.hex, md5Of: chunk)
        XCTAssertEqual(try ChunkStoreConformance.readChecked(store, digest), chunk)
    }

    func testABodyThatDoesNotMatchItsContentMD5IsRefusedAndNothingIsStored() throws {
        let store = try stores.plain()
        let chunk = Array("the recording".utf8)
        let digest = SHA256.hash(chunk)
        assertRefused(try put(store, digest, body: chunk, payloadHash: digest.hex, md5Of: Array("other".utf8)),
                      status: 400, code: "BadDigest")
        XCTAssertFalse(try store.exists(digest), "nothing is stored under the chunk's name")
    }

    func testASignatureMadeTwentyFiveMinutesAgoIsRefusedAndNotRetried() throws {
        let prefix = stores.freshPrefix()
        let waits = S3RetryTests.Waits()
        let late = try rgw.client("plain", prefix: prefix, retry: RetryPolicy(sleep: { waits.record($0) }),
                                  now: { Date().addingTimeInterval(-25 * 60) })
        let store = S3ChunkStore(client: late, versioned: false)
        let digest = try ChunkStoreConformance.put(store, Array("evidence".utf8))
        assertRefused(try store.sync(), status: 403, code: "RequestTimeTooSkewed")
        XCTAssertEqual(waits.all, [], "a refusal is not asked again")
        let timely = S3ChunkStore(client: try rgw.client("plain", prefix: prefix), versioned: false)
        XCTAssertFalse(try timely.exists(digest), "nothing was stored")
        _ = try ChunkStoreConformance.put(timely, Array("evidence".utf8))
        try timely.sync()
        XCTAssertTrue(try timely.exists(digest), "the same PUT signed now is taken")
    }
}
