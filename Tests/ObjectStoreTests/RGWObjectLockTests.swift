import Crypto
import CustodyCore
import Foundation
@testable import ObjectStore
import Storage
import StorageConformance
import XCTest

/// Object Lock as a Ceph RGW enforces it and moto does not all of it (`RGWS3`; skipped unless CUSTODY_RGW_ENV is
/// set): a COMPLIANCE retention cannot be shortened, a locked chunk's deletion is refused, and a legal hold set with
/// the S3 legal-hold call blocks the deletion of a GOVERNANCE object whose retention has ended.
final class RGWObjectLockTests: XCTestCase {
    var stores: S3TestStores!

    override func setUpWithError() throws {
        stores = S3TestStores(try RGWS3.fromEnvironment())
    }

    static let xmlns = "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\""

    /// A PUT of an object's `?retention` or `?legal-hold` configuration (S3 wants Content-MD5 on both).
    func configure(_ store: S3ChunkStore, _ digest: SHA256Digest, _ subresource: String, _ xml: String) throws {
        let body = Array(xml.utf8)
        var request = S3Client.Request("PUT", key: digest.hex, operation: "PUT ?\(subresource) of \(digest)")
        request.query = [(subresource, "")]
        request.payloadHash = SHA256.hash(body).hex
        request.fields = [("Content-MD5", body.withUnsafeBytes { Base64.encode(MD5.hash($0)) }),
                          ("Content-Type", "application/xml")]
        try body.withUnsafeBytes { _ = try store.client.perform(request, body: $0) }
    }

    func configuration(_ store: S3ChunkStore, _ digest: SHA256Digest, _ subresource: String) throws -> String {
        var request = S3Client.Request("GET", key: digest.hex, operation: "GET ?\(subresource) of \(digest)")
        request.query = [(subresource, "")]
        return try store.client.performText(request)
    }

    func retain(_ store: S3ChunkStore, _ digest: SHA256Digest, until date: Date) throws {
        try configure(store, digest, "retention", "<Retention \(Self.xmlns)><Mode>COMPLIANCE</Mode>"
            + "<RetainUntilDate>\(Timestamp.rfc3339(date))</RetainUntilDate></Retention>")
    }

    func retainedUntil(_ store: S3ChunkStore, _ digest: SHA256Digest) throws -> Date? {
        let text = try configuration(store, digest, "retention")
        XCTAssertEqual(XMLText.first("Mode", in: text), "COMPLIANCE", text)
        return XMLText.first("RetainUntilDate", in: text).flatMap(Timestamp.parse)
    }

    func hold(_ store: S3ChunkStore, _ digest: SHA256Digest, _ status: String) throws {
        try configure(store, digest, "legal-hold", "<LegalHold \(Self.xmlns)><Status>\(status)</Status></LegalHold>")
    }

    func assertDeletionRefused(_ store: S3ChunkStore, _ digest: SHA256Digest, line: UInt = #line) {
        XCTAssertThrowsError(try store.delete(digest), line: line) {
            guard case .deletionRefused(digest, _)? = $0 as? ChunkStoreError else {
                return XCTFail("expected deletionRefused, got \($0)", line: line)
            }
        }
    }

    func testAComplianceRetentionCannotBeShortenedAndItsChunkCannotBeDeleted() throws {
        let store = try stores.locked(.compliance, retainFor: 3600)
        let bytes = Array("locked evidence".utf8)
        let digest = try ChunkStoreConformance.put(store, bytes)
        try store.sync()
        let until = try XCTUnwrap(retainedUntil(store, digest))
        XCTAssertEqual(until.timeIntervalSinceNow, 3600, accuracy: 120)
        XCTAssertThrowsError(try retain(store, digest, until: Date().addingTimeInterval(60))) {
            XCTAssertEqual(($0 as? S3Error)?.status, 403, "\($0)")
        }
        XCTAssertEqual(try retainedUntil(store, digest), until, "the retention is as it was")
        // Lengthening is allowed: what was refused was the shortening, not the call.
        try retain(store, digest, until: until.addingTimeInterval(600))
        XCTAssertEqual(try XCTUnwrap(retainedUntil(store, digest)).timeIntervalSince(until), 600, accuracy: 1)
        assertDeletionRefused(store, digest)
        XCTAssertEqual(try ChunkStoreConformance.readChecked(store, digest), bytes, "the chunk is whole")
    }

    func testALegalHoldBlocksTheDeletionOfAGovernanceChunkWhoseRetentionHasEnded() throws {
        let store = try stores.locked(.governance, retainFor: 2)
        let bytes = Array("evidence on hold".utf8)
        let digest = try ChunkStoreConformance.put(store, bytes)
        try store.sync()
        try hold(store, digest, "ON")
        XCTAssertEqual(XMLText.first("Status", in: try configuration(store, digest, "legal-hold")), "ON")
        Thread.sleep(forTimeInterval: 3)   // the retention ends; the hold stays
        assertDeletionRefused(store, digest)
        XCTAssertEqual(try ChunkStoreConformance.readChecked(store, digest), bytes, "the chunk is whole")
        try hold(store, digest, "OFF")
        try store.delete(digest)
        XCTAssertFalse(try store.exists(digest), "with the hold lifted, the chunk is deleted")
    }
}
