import Crypto
import CustodyCore
import Foundation
import Storage

/// Object Lock on each chunk's object: its retention date moved later (`PUT ?retention`) and its legal hold set
/// or cleared (`PUT ?legal-hold`), in the store's mode. Both apply to the object's current version (a race of two
/// writers can leave an older version of the same bytes beside it, under its write-time lock only).
extension S3ChunkStore: LockingChunkStore {
    public var locksChunks: Bool { lock != nil }

    /// From a `HEAD`: S3 answers with the version's `x-amz-object-lock-*` fields.
    public func lockState(_ digest: SHA256Digest) throws -> ChunkLockState? {
        let response = try client.perform(S3Client.Request("HEAD", key: digest.hex, operation: "HEAD of \(digest)"),
                                          expected: [404])
        guard response.status != 404 else { return nil }
        return ChunkLockState(retainUntil: response.field("x-amz-object-lock-retain-until-date").flatMap(Self.date),
                              legalHold: response.field("x-amz-object-lock-legal-hold") == "ON")
    }

    public func extendRetention(_ digest: SHA256Digest, until: Date) throws {
        guard let lock else { throw ChunkStoreError.missing(digest) }
        let body = "<Retention xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Mode>\(lock.mode.rawValue)</Mode>"
            + "<RetainUntilDate>\(Timestamp.rfc3339(until))</RetainUntilDate></Retention>"
        try putConfiguration(digest, "retention", body, operation: "retention of chunk \(digest)")
    }

    public func setLegalHold(_ digest: SHA256Digest, _ on: Bool) throws {
        let body = "<LegalHold xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>\(on ? "ON" : "OFF")</Status>"
            + "</LegalHold>"
        try putConfiguration(digest, "legal-hold", body, operation: "legal hold of chunk \(digest)")
    }

    /// A `PUT ?name` of an XML body on the chunk's object (S3 wants its `Content-MD5`). A missing object is
    /// `ChunkStoreError.missing`.
    private func putConfiguration(_ digest: SHA256Digest, _ name: String, _ body: String, operation: String) throws {
        let bytes = Array(body.utf8)
        var request = S3Client.Request("PUT", key: digest.hex, operation: operation)
        request.query = [(name, "")]
        request.payloadHash = bytes.withUnsafeBytes { SHA256.hash($0) }.hex
        request.fields = [("Content-MD5", bytes.withUnsafeBytes { Base64.encode(MD5.hash($0)) }),
                          ("Content-Type", "application/xml")]
        let response = try bytes.withUnsafeBytes { try client.perform(request, body: $0, expected: [404]) }
        if response.status == 404 { throw ChunkStoreError.missing(digest) }
    }

    /// S3's dates: RFC 3339 in the lock fields and listings.
    static func date(_ text: String) -> Date? { Timestamp.parse(text) }
}
