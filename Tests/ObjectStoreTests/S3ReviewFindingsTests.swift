import Crypto
import CustodyCore
import Foundation
import ObjectStore
import Storage
import StorageConformance
import XCTest

/// Tests from a review of the ObjectStore module (issue #17), each of a bug it had. (A store has one writer at a
/// time, like the file store: `sync` reports every failure since the last `sync`.)
final class S3ReviewFindingsTests: XCTestCase {
    func client(port: Int, attempts: Int = 6) throws -> S3Client {
        try S3Client(location: S3Location(bucket: "bucket", host: "127.0.0.1", port: port),
                     credentials: S3Credentials(accessKeyID: "AKID", secretAccessKey: "secret"),
                     retry: RetryPolicy(attempts: attempts, sleep: { _ in }), timeout: 5)
    }

    /// After a burst of parallel requests the pool holds several connections; the server closes them once
    /// they have been idle for its keep-alive timeout (RGW's beast, AWS and most proxies do). The next request
    /// must still succeed against a healthy server: today each attempt takes another dead connection from the
    /// pool, so all six attempts fail with "the server closed the connection" and the request fails.
    func testConnectionsTheServerClosedWhileIdleDoNotUseUpTheAttempts() throws {
        let parallel = 8
        let server = try KeepAliveServer(hold: parallel)
        let client = try client(port: server.port)
        let group = DispatchGroup()
        let failures = S3RetryTests.Waits()
        for i in 0..<parallel {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    try client.perform(S3Client.Request("HEAD", key: "k\(i)", operation: "HEAD"))
                } catch { failures.record(1) }
            }
        }
        group.wait()
        XCTAssertEqual(failures.all, [], "the burst itself succeeds")
        XCTAssertEqual(server.requestCount, parallel)
        server.closeIdle()  // the server's keep-alive timeout passes
        XCTAssertNoThrow(try client.perform(S3Client.Request("HEAD", key: "after-idle", operation: "HEAD")),
                         "a healthy server, yet the request failed on stale pooled connections")
    }

    /// 409 ConditionalRequestConflict (or OperationAborted) means another conditional write of the key is in
    /// progress, and AWS says to retry: that other write may fail, so the chunk may never be stored. Today the
    /// PUT takes the 409 as "already there" and `sync` succeeds without asking again.
    func testAConflictAnswerIsNotTakenAsTheChunkStored() throws {
        let conflict = "<Error><Code>ConditionalRequestConflict</Code><Message>A conflicting conditional operation"
            + " is currently in progress against this resource.</Message></Error>"
        let server = try FaultyS3([.answer(409, conflict), .answer(404, "")])
        let store = S3ChunkStore(client: try client(port: server.port), versioned: false, parallelPUTs: 1)
        _ = try ChunkStoreConformance.put(store, Array("a chunk".utf8))
        // Either the PUT is asked again (and succeeds), or the object is looked for (and is not there: sync throws).
        let synced = Result { try store.sync() }
        XCTAssertGreaterThan(server.requestCount, 1, "sync (\(synced)) believed a 409 without asking again")
    }

    /// Several PUTs in flight at once, one of them refused: `sync` waits for all of them and reports the refusal.
    func testARefusalAmongParallelPUTsFailsTheSync() throws {
        let refused = "<Error><Code>AccessDenied</Code><Message>no</Message></Error>"
        let server = try FaultyS3([.answer(200, ""), .answer(200, ""), .answer(403, refused), .answer(200, ""),
                                   .answer(200, ""), .answer(200, "")])
        let store = S3ChunkStore(client: try client(port: server.port), versioned: false, parallelPUTs: 4)
        for i in 0..<6 { _ = try ChunkStoreConformance.put(store, Array("chunk \(i)".utf8)) }
        XCTAssertThrowsError(try store.sync()) { XCTAssertEqual(($0 as? S3Error)?.code, "AccessDenied", "\($0)") }
        XCTAssertEqual(server.requestCount, 6, "every PUT was sent and waited for")
    }

    /// A 403 that is not Object Lock's refusal (a bad signature, a clock too far off) is a configuration error,
    /// not "locked, try later": retention would record the chunk as kept by its lock and go on.
    func testADeletionRefusedForABadSignatureIsNotReportedAsALock() throws {
        let skewed = "<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and"
            + " the current time is too large.</Message></Error>"
        let server = try FaultyS3([.answer(403, skewed)])
        let store = S3ChunkStore(client: try client(port: server.port), versioned: false, parallelPUTs: 1)
        XCTAssertThrowsError(try store.delete(SHA256.hash(Array("x".utf8)))) {
            if case .deletionRefused? = $0 as? ChunkStoreError {
                XCTFail("a clock or credentials problem reported as a lock: \($0)")
            }
        }
    }
}
