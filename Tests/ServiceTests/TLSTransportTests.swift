@preconcurrency import Glibc
import Crypto
import Foundation
import HTTPServer
import Service
import TestSupport
import XCTest

/// HTTPServer with a trivial handler behind `TLSTransportSecurity`, against real clients: curl and
/// `openssl s_client` over loopback.
final class TLSTransportTests: XCTestCase {
    private var tls: TLSFixture!
    private var server: HTTPServer?
    private var port: UInt16 = 0
    private let handshakes = HandshakeFailures()

    /// Answers with the method, path, body length and the body's SHA-256.
    static let echo: HTTPClosureHandler.Closure = { request, body, _ in
        let hash = Crypto.SHA256()
        var total = 0
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try body.read(into: $0) }
            if n == 0 { break }
            buffer.withUnsafeBytes { hash.update(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
            total += n
        }
        return .text(.ok, "\(request.method) \(request.path) bytes=\(total) sha256=\(hash.finalize().hex)\n")
    }

    override func setUpWithError() throws {
        tls = try TLSFixture()
    }

    override func tearDown() {
        server?.shutdown(gracePeriod: 0.2)
        XCTAssertTrue(server?.waitUntilStopped(timeout: 10) ?? true, "server did not stop")
        tls?.directory.remove()
    }

    private func start(headerTimeout: Double = 10, maxConnectionsPerPeer: Int = 32) throws {
        var configuration = HTTPServerConfiguration(headerTimeout: headerTimeout,
                                                    maxConnectionsPerPeer: maxConnectionsPerPeer)
        configuration.tls = try TLSTransportSecurity(TLSFiles(certificateFile: tls.certificate,
                                                              privateKeyFile: tls.key))
        let server = HTTPServer(configuration: configuration, handler: HTTPClosureHandler(Self.echo),
                                observer: handshakes)
        port = try server.start()
        self.server = server
    }

    private func url(_ path: String, scheme: String = "https") -> String { "\(scheme)://127.0.0.1:\(port)\(path)" }

    /// curl trusting only the fixture's certificate.
    private func curl(_ arguments: [String]) throws -> ProcessResult {
        let curl = try XCTUnwrap(which("curl"), "curl is needed for TLS tests")
        return try runProcess(curl, ["--silent", "--show-error", "--max-time", "20", "--cacert", tls.certificate]
                                    + arguments)
    }

    func testCurlGetsResponsesOverTLSOnOneConnection() throws {
        try start()
        let result = try curl(["-w", "%{num_connects}\n", url("/one"), url("/two")])
        XCTAssertEqual(result.status, 0, result.stderr)
        let empty = Crypto.SHA256().finalize().hex
        XCTAssertEqual(result.stdout, "GET /one bytes=0 sha256=\(empty)\n1\nGET /two bytes=0 sha256=\(empty)\n0\n")
    }

    func testPlainHTTPToTheTLSPortFailsAndServingGoesOn() throws {
        try start()
        let plain = try curl(["-w", "%{http_code}", url("/plain", scheme: "http")])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertTrue(plain.stdout.contains("this port speaks HTTPS only"), plain.stdout)
        XCTAssertTrue(plain.stdout.hasSuffix("400"), plain.stdout)
        XCTAssertFalse(plain.stdout.contains("GET /plain"), plain.stdout)
        // Bytes that are neither TLS nor HTTP: the handshake fails and the connection just closes.
        let raw = try RawClient(port: port)
        raw.send("\u{1}\u{2} not a client hello\r\n\r\n")
        let (answer, closed) = raw.readToEnd()
        XCTAssertTrue(closed, "the server must close the connection")
        XCTAssertEqual(answer, [])
        XCTAssertEqual(handshakes.reasons.count, 1, "the failed handshake reaches the observer (metrics, log)")
        XCTAssertFalse(handshakes.reasons.first?.isEmpty ?? true)
        // The start of a ClientHello, then the end of the stream: a failed handshake too.
        let quitter = try RawClient(port: port)
        quitter.send([0x16, 0x03, 0x01, 0x00, 0x40, 0x01, 0x00, 0x00, 0x3c, 0x03, 0x03])
        shutdown(quitter.fd, Int32(SHUT_WR))
        XCTAssertTrue(quitter.readToEnd().closed)
        XCTAssertEqual(handshakes.reasons.count, 2, "\(handshakes.reasons)")
        XCTAssertTrue(handshakes.reasons.last?.contains("closed the connection during") ?? false,
                      "\(handshakes.reasons)")

        let secure = try curl([url("/after")])
        XCTAssertEqual(secure.status, 0, secure.stderr)
        XCTAssertTrue(secure.stdout.hasPrefix("GET /after bytes=0"), secure.stdout)
    }

    func testTLS11IsRefusedWhileTLS12And13Work() throws {
        try start()
        let request = "GET /s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        for version in ["-tls1_2", "-tls1_3"] {
            let r = try runProcess(tls.openssl, ["s_client", "-connect", "127.0.0.1:\(port)", version, "-CAfile",
                                                 tls.certificate, "-verify_return_error", "-ign_eof"], stdin: request)
            XCTAssertEqual(r.status, 0, "\(version): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains("New, TLSv1.\(version.last!),"), "\(version): \(r.stdout)")
            XCTAssertTrue(r.stdout.contains("GET /s bytes=0"), "\(version): \(r.stdout)")
        }
        // SECLEVEL=0 lets this OpenSSL still offer TLS 1.1, so the refusal is the server's, not the client's.
        let old = try runProcess(tls.openssl, ["s_client", "-connect", "127.0.0.1:\(port)", "-tls1_1",
                                               "-cipher", "DEFAULT@SECLEVEL=0"], stdin: request)
        XCTAssertNotEqual(old.status, 0, old.stdout)
        XCTAssertFalse(old.stdout.contains("GET /s"), old.stdout)
        if (old.stdout + old.stderr).contains("no protocols available") {
            // This openssl CLI can no longer ask for TLS 1.1 at all: nothing reached the server to refuse.
        } else {
            XCTAssertTrue(old.stderr.contains("alert protocol version"), old.stderr)
        }
    }

    func testSilentClientIsCutOffAfterHeaderTimeoutWhileAnotherIsServed() throws {
        try start(headerTimeout: 1)
        let started = Date()
        let silent = try RawClient(port: port, receiveTimeout: 6)
        let served = try curl([url("/busy")])
        XCTAssertEqual(served.status, 0, served.stderr)
        XCTAssertTrue(served.stdout.hasPrefix("GET /busy bytes=0"), served.stdout)
        let (bytes, closed) = silent.readToEnd()
        let waited = Date().timeIntervalSince(started)
        XCTAssertTrue(closed, "the silent connection was not closed")
        XCTAssertEqual(bytes, [])
        XCTAssertGreaterThan(waited, 0.8)
        XCTAssertLessThan(waited, 4, "cut off after \(waited) s, not after the 1 s header timeout")
    }

    func testTenMebibyteUploadArrivesIntact() throws {
        try start()
        let payload = try XCTUnwrap(FileHandle(forReadingAtPath: "/dev/urandom")).readData(ofLength: 10 << 20)
        let file = tls.directory.file("upload.bin")
        try payload.write(to: URL(fileURLWithPath: file))
        let result = try curl(["--data-binary", "@\(file)", "-H", "Content-Type: application/octet-stream",
                               url("/upload")])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "POST /upload bytes=\(10 << 20) sha256=\(Crypto.SHA256.hash(payload).hex)\n")
    }

    func testAConnectionOverTheLimitGetsACloseNotifyNotABrokenConnection() throws {
        try start(maxConnectionsPerPeer: 1)
        let holder = try RawClient(port: port)
        eventually { self.server?.statistics.openConnections == 1 }
        let refused = try curl([url("/over")])
        XCTAssertEqual(refused.status, 35, refused.stderr)
        // OpenSSL's name for a close_notify; a bare close reads SSL_ERROR_SYSCALL (unexpected EOF).
        XCTAssertTrue(refused.stderr.contains("SSL_ERROR_ZERO_RETURN"), refused.stderr)
        XCTAssertEqual(server?.statistics.connectionsRejected, 1)
        XCTAssertEqual(handshakes.reasons, [], "a refusal is not a failed handshake")
        withExtendedLifetime(holder) {}
    }

    func testUnfinishedHandshakesTakeNoWorker() throws {
        try start(maxConnectionsPerPeer: 64)
        // 600 connections from 10 addresses: half never send a byte, half stop inside their ClientHello.
        // The reactor drives every handshake, so none of them holds one of the 64 workers.
        var waiting: [RawClient] = []
        for index in 0..<600 {
            let client = try RawClient(port: port, receiveTimeout: 30, from: "127.0.0.\(2 + index % 10)")
            if index.isMultiple(of: 2) { client.send([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]) }
            waiting.append(client)
            if index % 50 == 49 {
                let open = index + 1
                eventually { (self.server?.statistics.openConnections ?? 0) >= open }
            }
        }
        for round in 0..<3 {
            let started = Date()
            let result = try curl([url("/healthz/\(round)")])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stdout.hasPrefix("GET /healthz/\(round) bytes=0"), result.stdout)
            XCTAssertLessThan(Date().timeIntervalSince(started), 2, "a TLS request waited behind unfinished handshakes")
        }
        // curl's own connections close as it exits; the server may see the last one close a moment later.
        eventually { self.server?.statistics.openConnections == waiting.count }
        XCTAssertEqual(server?.statistics.openConnections, waiting.count, "waiting handshakes were dropped")
    }
}

/// Records the handshake failures the server reports.
private final class HandshakeFailures: HTTPServerObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var list = [String]()
    var reasons: [String] { lock.lock(); defer { lock.unlock() }; return list }
    func requestCompleted(_ record: HTTPRequestRecord) {}
    func handshakeFailed(remoteAddress: String, reason: String) { lock.lock(); list.append(reason); lock.unlock() }
}
