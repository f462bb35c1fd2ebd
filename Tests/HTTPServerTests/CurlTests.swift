import HTTPServer
import TestSupport
import XCTest

/// The server against a real client: curl over loopback.
final class CurlTests: XCTestCase {
    /// Answers with what it received: method, byte count and FNV-1a of the body, streamed in 64 KiB reads.
    static let echoDigest: HTTPClosureHandler.Closure = { request, body, connection in
        var hash = FNV1a()
        var total = 0
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try body.read(into: $0) }
            if n == 0 { break }
            buffer.withUnsafeBytes { hash.update(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
            total += n
        }
        let text = "\(request.method) \(request.path) bytes=\(total) fnv=\(hash.value) conn=\(connection.id)"
            + " index=\(connection.requestIndex)\n"
        return .text(.ok, text, headers: ["X-Echo": "1"])
    }

    func testGetHeadAndContentLengthPost() throws {
        let live = try LiveServer(handler: Self.echoDigest)
        defer { live.stop() }
        let get = try curl([live.url("/a/b?q=1")])
        XCTAssertEqual(get.status, 0, get.stderr)
        XCTAssertTrue(get.stdout.hasPrefix("GET /a/b bytes=0"), get.stdout)

        let head = try curl(["--head", "--include", live.url("/h")])
        XCTAssertEqual(head.status, 0, head.stderr)
        XCTAssertTrue(head.stdout.hasPrefix("HTTP/1.1 200 OK\r\n"), head.stdout)
        XCTAssertTrue(head.stdout.contains("Content-Length: "), "HEAD reports the length it would send")
        XCTAssertTrue(head.stdout.contains("Date: "), head.stdout)
        XCTAssertFalse(head.stdout.contains("bytes="), "HEAD must not send a body")

        let dir = TemporaryDirectory("http-post")
        let payload = randomBytes(300_000, seed: 1)
        try Data(payload).write(to: dir.url.appendingPathComponent("p"))
        let post = try curl(["--data-binary", "@\(dir.file("p"))", live.url("/up")])
        XCTAssertEqual(post.stdout, "POST /up bytes=300000 fnv=\(FNV1a.hash(payload)) conn=3 index=0\n")
    }

    func testChunkedPostIsDecoded() throws {
        let live = try LiveServer(handler: Self.echoDigest)
        defer { live.stop() }
        let dir = TemporaryDirectory("http-chunked")
        let payload = randomBytes(1_000_000, seed: 2)
        try Data(payload).write(to: dir.url.appendingPathComponent("p"))
        let result = try curl(["-H", "Transfer-Encoding: chunked", "-H", "Expect:", "--data-binary",
                               "@\(dir.file("p"))", live.url("/chunked")])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("POST /chunked bytes=1000000 fnv=\(FNV1a.hash(payload)) "),
                      result.stdout)
    }

    func testKeepAliveServesTwoURLsOnOneConnection() throws {
        let live = try LiveServer(handler: Self.echoDigest)
        defer { live.stop() }
        let result = try curl([live.url("/one"), live.url("/two")])
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 2, result.stdout)
        let ids = lines.map { $0.split(separator: " ").first { $0.hasPrefix("conn=") } }
        XCTAssertEqual(ids[0], ids[1], "curl should reuse the connection: \(result.stdout)")
        XCTAssertTrue(lines[1].hasSuffix("index=1"), result.stdout)
        XCTAssertEqual(live.server.statistics.connectionsAccepted, 1)
    }

    func testExpectContinueHandlerRejectingEarlyNeverGetsTheBody() throws {
        let live = try LiveServer { _, body, _ in
            .text(.unauthorized, "no token\n", headers: ["WWW-Authenticate": "Bearer"])
        }
        defer { live.stop() }
        let dir = TemporaryDirectory("http-expect")
        try Data(randomBytes(4 << 20, seed: 3)).write(to: dir.url.appendingPathComponent("big"))
        let started = Date()
        // curl adds Expect: 100-continue itself above 1 MiB; told to wait 5 s for the interim answer, it
        // would send the body after 5 s if the server neither invited nor refused it.
        let result = try curl(["--verbose", "--expect100-timeout", "5", "--output", "/dev/null",
                               "--write-out", "%{http_code}",
                               "--data-binary", "@\(dir.file("big"))", live.url("/files")])
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(result.stdout, "401", result.stderr)
        XCTAssertTrue(result.stderr.contains("Expect: 100-continue"), "curl did not ask: \(result.stderr)")
        XCTAssertFalse(result.stderr.contains("HTTP/1.1 100 Continue"), "the server invited the body")
        XCTAssertLessThan(elapsed, 4, "curl waited for its expect timeout and sent the body")
        eventually { live.observer.records.get().count == 1 }  // recorded just after the response is sent
        let records = live.observer.records.get()
        XCTAssertEqual(records.map(\.status), [401])
        XCTAssertEqual(records.first?.bodyBytesIn, 0)
    }

    func testTenMiBBodyWithExpectContinueIsStreamedIntact() throws {
        let bytesSeen = Locked(0)
        let live = try LiveServer { request, body, connection in
            let response = try Self.echoDigest(request, body, connection)
            bytesSeen.set(Int(body.bytesRead))
            return response
        }
        defer { live.stop() }
        let dir = TemporaryDirectory("http-10mib")
        let payload = randomBytes(10 << 20, seed: 4)
        try Data(payload).write(to: dir.url.appendingPathComponent("big"))
        let started = Date()
        let result = try curl(["--verbose", "--expect100-timeout", "15", "--data-binary", "@\(dir.file("big"))",
                               live.url("/big")])
        XCTAssertTrue(result.stderr.contains("HTTP/1.1 100 Continue"), result.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(started), 14, "the body waited for curl's expect timeout")
        XCTAssertTrue(result.stdout.hasPrefix("POST /big bytes=\(10 << 20) fnv=\(FNV1a.hash(payload)) "), result.stdout)
        XCTAssertEqual(bytesSeen.get(), 10 << 20)
    }

    func testFileRegionDownloadAndHead() throws {
        let dir = TemporaryDirectory("http-file")
        let content = randomBytes(1_000_000, seed: 5)
        try Data(content).write(to: dir.url.appendingPathComponent("f"))
        let path = dir.file("f")
        let live = try LiveServer { request, _, _ in
            request.path == "/part"
                ? .file(.partialContent, HTTPFileRegion(path: path, offset: 1000, length: 300_000))
                : .file(.ok, HTTPFileRegion(path: path))
        }
        defer { live.stop() }
        let out = dir.file("out")
        XCTAssertEqual(try curl(["--output", out, live.url("/all")]).status, 0)
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: out))), content)
        XCTAssertEqual(try curl(["--output", out, live.url("/part")]).status, 0)
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: out))), Array(content[1000..<301_000]))
        let head = try curl(["--head", live.url("/all")])
        XCTAssertTrue(head.stdout.contains("Content-Length: 1000000"), head.stdout)
    }
}
