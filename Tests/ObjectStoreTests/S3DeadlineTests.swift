import Crypto
import Foundation
import ObjectStore
import XCTest

/// The S3 client against servers that answer too slowly or too early (FaultyS3): a deadline for each whole
/// request, and an error answer sent before the request's body was read.
final class S3DeadlineTests: XCTestCase {
    static let slowDown = "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
    /// More than the loopback socket buffers of both ends hold, so its send blocks on a server that reads none.
    static let big = [UInt8](repeating: 0x61, count: 16 << 20)

    func client(_ server: FaultyS3, _ waits: S3RetryTests.Waits, attempts: Int = 6,
                deadline: RequestDeadline = RequestDeadline(base: 0.5)) throws -> S3Client {
        try S3Client(location: S3Location(bucket: "bucket", host: "127.0.0.1", port: server.port),
                     credentials: S3Credentials(accessKeyID: "AKID", secretAccessKey: "secret"),
                     retry: RetryPolicy(attempts: attempts, base: 0.01, cap: 0.05, sleep: { waits.record($0) }),
                     timeout: 5, deadline: deadline)
    }

    func put(_ client: S3Client, _ bytes: [UInt8]) throws {
        var request = S3Client.Request("PUT", key: "chunk", operation: "PUT")
        request.payloadHash = SHA256.hash(bytes).hex
        _ = try bytes.withUnsafeBytes { try client.perform(request, body: $0) }
    }

    /// One byte every 50 ms never trips the 5 s wait for the next byte; the whole answer would take 7 s.
    func testAnAnswerThatDripsTimesOutAtTheRequestsDeadlineAndIsAskedAgain() throws {
        let server = try FaultyS3([.drip(every: 0.05, 200, String(repeating: "x", count: 100)), .answer(200, "")])
        let waits = S3RetryTests.Waits()
        let started = Date()
        try put(try client(server, waits), Array("a chunk".utf8))
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(server.requestCount, 2, "the dripping answer was waited out (\(elapsed) s)")
        XCTAssertEqual(waits.all.count, 1)
        XCTAssertLessThan(elapsed, 3)
    }

    func testWhenEveryAttemptDripsTheErrorIsATimeoutNamingTheDeadline() throws {
        let drip = FaultyS3.Step.drip(every: 0.05, 200, String(repeating: "x", count: 100))
        let server = try FaultyS3([drip, drip])
        XCTAssertThrowsError(try put(try client(server, S3RetryTests.Waits(), attempts: 2), Array("a chunk".utf8))) {
            guard case .timeout(let what)? = $0 as? HTTPClientError else { return XCTFail("\($0)") }
            XCTAssertTrue(what.contains("deadline of 0.5 s"), what)
        }
        XCTAssertEqual(server.requestCount, 2)
    }

    /// The deadline grows with the body the answer announces: 100 bytes at 20 bytes/s add 5 s to the 0.5 s, and
    /// the answer, dripped in about 1.4 s, arrives whole on the first attempt.
    func testTheDeadlineGrowsWithTheAnnouncedBody() throws {
        let body = String(repeating: "x", count: 100)
        let server = try FaultyS3([.drip(every: 0.01, 200, body)])
        let client = try client(server, S3RetryTests.Waits(), deadline: RequestDeadline(base: 0.5, bytesPerSecond: 20))
        var got: [UInt8] = []
        try client.perform(S3Client.Request("GET", key: "chunk", operation: "GET"), restart: { got = [] }) {
            got += $1
        }
        XCTAssertEqual(String(decoding: got, as: UTF8.self), body)
        XCTAssertEqual(server.requestCount, 1)
    }

    /// S3 answers a PUT it refuses (bad signature, body too large) before reading the body, and closes: the
    /// client's send fails, and the error is the server's answer, not a broken pipe.
    func testAnEarlyRefusalOfAPutIsReportedAsTheServersError() throws {
        let refused = "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does"
            + " not match the signature you provided.</Message></Error>"
        let server = try FaultyS3([.early(403, refused)])
        let waits = S3RetryTests.Waits()
        XCTAssertThrowsError(try put(try client(server, waits, deadline: RequestDeadline()), Self.big)) {
            let error = $0 as? S3Error
            XCTAssertEqual(error?.status, 403, "\($0)")
            XCTAssertEqual(error?.code, "SignatureDoesNotMatch", "\($0)")
            XCTAssertEqual(error?.message, "The request signature we calculated does not match the signature you"
                + " provided.", "\($0)")
        }
        XCTAssertEqual(server.requestCount, 1, "a refusal is not asked again")
        XCTAssertEqual(waits.all, [])
    }

    /// A busy answer sent early is asked again, and when the attempts run out it is the error.
    func testAnEarlyBusyAnswerToAPutIsAskedAgain() throws {
        let server = try FaultyS3([.early(503, Self.slowDown), .early(503, Self.slowDown), .early(503, Self.slowDown),
                                   .answer(200, "")])
        let waits = S3RetryTests.Waits()
        let client = try client(server, waits, attempts: 2, deadline: RequestDeadline())
        XCTAssertThrowsError(try put(client, Self.big)) { XCTAssertEqual(($0 as? S3Error)?.code, "SlowDown", "\($0)") }
        XCTAssertEqual(server.requestCount, 2)
        try put(client, Self.big)
        XCTAssertEqual(server.requestCount, 4)
        XCTAssertEqual(waits.all.count, 2, "one wait after each first 503")
    }
}
