import Crypto
import CustodyCore
import Foundation
@testable import ObjectStore
import Storage
import StorageConformance
import XCTest

/// A running S3 server for tests, with two buckets: "plain", and "locked" (Object Lock enabled at creation). moto's
/// (`MotoS3`, started by the tests) or a Ceph RGW (`RGWS3`, started by Scripts/ceph-rgw).
protocol S3TestServer: AnyObject, Sendable {
    var credentials: S3Credentials { get }
    func location(_ bucket: String, prefix: String) -> S3Location
}

extension S3TestServer {
    func client(_ bucket: String, prefix: String, credentials: S3Credentials? = nil,
                retry: RetryPolicy = RetryPolicy(sleep: { _ in }),
                now: @escaping @Sendable () -> Date = Date.init) throws -> S3Client {
        try S3Client(location: location(bucket, prefix: prefix), credentials: credentials ?? self.credentials,
                     retry: retry, now: now)
    }
}

/// New, empty stores on a server (each on a prefix of its own), and the ChunkStore conformance suite in both
/// buckets: what S3ChunkStoreTests runs on moto and RGWChunkStoreTests on Ceph.
final class S3TestStores {
    let server: any S3TestServer
    private var prefixes = 0

    init(_ server: any S3TestServer) { self.server = server }

    func freshPrefix(_ suffix: String = "") -> String {
        prefixes += 1
        return "t\(prefixes)-\(UUID().uuidString)/\(suffix)"
    }

    func plain() throws -> S3ChunkStore {
        S3ChunkStore(client: try server.client("plain", prefix: freshPrefix("chunks/")), versioned: false)
    }

    func locked(_ mode: S3ChunkStore.ObjectLock.Mode = .compliance, retainFor: Double = 3600) throws -> S3ChunkStore {
        try S3ChunkStore.open(server.client("locked", prefix: freshPrefix()),
                              lock: .init(mode: mode, retainFor: retainFor))
    }

    /// Tampering behind the store's back: a PUT of other bytes under the chunk's name, straight to the bucket.
    static func overwrite(_ store: any ChunkStore, _ digest: SHA256Digest, _ bytes: [UInt8]) throws {
        var request = S3Client.Request("PUT", key: digest.hex, operation: "tampering")
        request.payloadHash = SHA256.hash(bytes).hex
        _ = try bytes.withUnsafeBytes { try (store as! S3ChunkStore).client.perform(request, body: $0) }
    }

    func conformanceInAPlainBucket() throws {
        try ChunkStoreConformance.runAll(deletion: .deletes, { try plain() }, damage: Self.overwrite)
    }

    func conformanceInAnObjectLockBucket() throws {
        try ChunkStoreConformance.runAll(deletion: .refuses, { try locked() }, damage: Self.overwrite)
    }

    /// Wrong bytes under a chunk's name are written again (new evidence is never catalogued on top of them); in a
    /// versioned bucket (where RGW ignores `If-None-Match`) the wrong version stays, and right bytes are not
    /// written a second time.
    func otherBytesAreReplacedAndRightOnesNotWrittenAgain() throws {
        for store in [try plain(), try locked()] {
            let real = Array("the recording".utf8)
            let digest = SHA256.hash(real)
            try Self.overwrite(store, digest, Array("something else".utf8))
            try real.withUnsafeBytes { try store.put(digest, $0) }
            try store.sync()
            XCTAssertEqual(try ChunkStoreConformance.readChecked(store, digest), real, "versioned: \(store.versioned)")
            guard store.versioned else { continue }
            XCTAssertEqual(try store.versions(of: digest.hex).count, 2, "the tampered version is kept, locked")
            try real.withUnsafeBytes { try store.put(digest, $0) }
            try store.sync()
            XCTAssertEqual(try store.versions(of: digest.hex).count, 2, "right bytes are not written again")
        }
    }
}
