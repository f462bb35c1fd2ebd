import Crypto
import CustodyCore
import Foundation
import ObjectStore
import Storage
import StorageConformance
import XCTest

/// Busy and failed answers are asked again, with backoff; refusals are not.
final class S3RetryTests: XCTestCase {
    final class Waits: @unchecked Sendable {
        private let lock = NSLock()
        private var waits: [Double] = []
        func record(_ seconds: Double) { lock.withLock { waits.append(seconds) } }
        var all: [Double] { lock.withLock { waits } }
    }

    func store(_ server: FaultyS3, waits: Waits, attempts: Int = 6, timeout: Double = 5) throws -> S3ChunkStore {
        let client = try S3Client(location: S3Location(bucket: "bucket", host: "127.0.0.1", port: server.port),
                              credentials: S3Credentials(accessKeyID: "AKID", secretAccessKey: "secret"),
                              retry: RetryPolicy(attempts: attempts, base: 0.1, cap: 1, sleep: { waits.record($0) }),
                              timeout: timeout)
        return S3ChunkStore(client: client, versioned: false, parallelPUTs: 1)
    }

    static let slowDown = "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"

    func testBusyAnswersAndDroppedConnectionsAreRetriedUntilThePutSucceeds() throws {
        // Each failed answer closes its connection, so each drop is of a new connection (a drop of a kept-alive
        // one is sent again at once, S3ReviewFindingsTests).
        let server = try FaultyS3([.closing(503, Self.slowDown), .drop, .closing(500, "<Error><Code>InternalError"
            + "</Code></Error>"), .drop, .answer(200, "")])
        let waits = Waits()
        let store = try store(server, waits: waits)
        _ = try ChunkStoreConformance.put(store, Array("a chunk".utf8))
        try store.sync()
        XCTAssertEqual(server.requestCount, 5)
        XCTAssertEqual(waits.all.count, 4)
        // Full jitter: each wait lies between 0 and the cap of its attempt (0.1, 0.2, 0.4, 0.8 s).
        for (attempt, wait) in waits.all.enumerated() {
            XCTAssertTrue((0...(0.1 * Double(1 << attempt))).contains(wait), "wait \(attempt): \(wait)")
        }
    }

    func testARefusalIsNotRetriedAndSyncReportsIt() throws {
        let server = try FaultyS3([.answer(403, "<Error><Code>AccessDenied</Code><Message>no</Message></Error>")])
        let waits = Waits()
        let store = try store(server, waits: waits)
        _ = try ChunkStoreConformance.put(store, Array("a chunk".utf8))
        XCTAssertThrowsError(try store.sync()) {
            XCTAssertEqual(($0 as? S3Error)?.code, "AccessDenied", "\($0)")
        }
        XCTAssertEqual(server.requestCount, 1)
        XCTAssertEqual(waits.all, [])
    }

    func testWhenTheAttemptsRunOutTheLastAnswerIsTheError() throws {
        let server = try FaultyS3(Array(repeating: .answer(503, Self.slowDown), count: 3))
        let waits = Waits()
        let store = try store(server, waits: waits, attempts: 3)
        _ = try ChunkStoreConformance.put(store, Array("a chunk".utf8))
        XCTAssertThrowsError(try store.sync()) {
            XCTAssertEqual(($0 as? S3Error)?.code, "SlowDown", "\($0)")
        }
        XCTAssertEqual(server.requestCount, 3)
        XCTAssertEqual(waits.all.count, 2)
        // A sync after a failure starts clean: the chunk can be put again.
        _ = try ChunkStoreConformance.put(store, Array("a chunk".utf8))
        try store.sync()
        XCTAssertEqual(server.requestCount, 4)
    }

    func testASilentServerTimesOutAndIsAskedAgain() throws {
        let server = try FaultyS3([.hang, .answer(200, "")])
        let waits = Waits()
        let store = try store(server, waits: waits, timeout: 0.3)
        _ = try ChunkStoreConformance.put(store, Array("a chunk".utf8))
        try store.sync()
        XCTAssertEqual(server.requestCount, 2)
        XCTAssertEqual(waits.all.count, 1)
    }

    func testAReadOfADroppedConnectionIsRetriedAndGetsTheWholeBody() throws {
        let server = try FaultyS3([.drop, .answer(200, "0123456789")])
        let store = try store(server, waits: Waits())
        let bytes = try ChunkStoreConformance.read(store, SHA256.hash(Array("x".utf8)))
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), "0123456789")
    }
}
