@preconcurrency import Glibc
import Crypto
import Foundation
import ObjectStore
import TestSupport
import XCTest

/// The object store client over TLS, against `openssl s_server -www` with a fresh self-signed certificate for
/// 127.0.0.1: trusted through its CA file it answers; without it, or under another name, the handshake is
/// refused as untrusted and not asked again.
final class TLSClientTests: XCTestCase {
    var fixture: TLSFixture!
    var server: Process!
    var port = 0

    override func setUpWithError() throws {
        fixture = try TLSFixture()
        port = try Self.freePort()
        server = Process()
        server.executableURL = URL(fileURLWithPath: fixture.openssl)
        server.arguments = ["s_server", "-quiet", "-www", "-accept", "127.0.0.1:\(port)", "-cert", fixture.certificate,
                            "-key", fixture.key]
        server.standardInput = Pipe()
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        try eventually(timeout: 10) { (try? RawClient(port: UInt16(port))) != nil }
    }

    override func tearDown() {
        server?.terminate()
        server?.waitUntilExit()
    }

    /// A port no one listens on now: one the kernel gave a listener just closed.
    static func freePort() throws -> Int {
        let (listener, port) = try FaultyS3.listen()
        close(listener)
        return port
    }

    func get(host: String = "127.0.0.1", caFile: String?) throws -> (HTTPClientResponse, String) {
        let client = HTTPClient(host: host, port: port, tls: try TLSClientContext(caFile: caFile), timeout: 10)
        var body = [UInt8]()
        let response = try client.send("GET", "/", fields: []) { body += $0 }
        return (response, String(decoding: body, as: UTF8.self))
    }

    func testATrustedCertificateCarriesTheRequest() throws {
        let (response, body) = try get(caFile: fixture.certificate)
        XCTAssertEqual(response.status, 200)
        XCTAssertTrue(body.contains("s_server"), body)
    }

    func testACertificateNoTrustedCASignedIsRefusedAsUntrusted() throws {
        XCTAssertThrowsError(try get(caFile: nil)) {
            guard case .untrusted(let why)? = $0 as? HTTPClientError else { return XCTFail("\($0)") }
            XCTAssertTrue(why.contains("self-signed"), why)
            XCTAssertFalse(($0 as! HTTPClientError).isRetryable)
        }
    }

    func testACertificateForAnotherNameIsRefused() throws {
        XCTAssertThrowsError(try get(host: "localhost", caFile: fixture.certificate)) {
            guard case .untrusted(let why)? = $0 as? HTTPClientError else { return XCTFail("\($0)") }
            XCTAssertTrue(why.contains("mismatch"), why)
        }
    }

    func testAnS3LocationNamesItsEndpointAndCA() throws {
        let location = try S3Location(url: "s3://evidence-1/force-a/chunks?endpoint=https://rgw.force.example:7480"
                                      + "&region=eu-west-2&ca-file=/etc/custody/s3-ca.pem")
        XCTAssertEqual(location, S3Location(bucket: "evidence-1", prefix: "force-a/chunks/", host: "rgw.force.example",
                                            port: 7480, region: "eu-west-2", secure: true,
                                            caFile: "/etc/custody/s3-ca.pem"))
        XCTAssertEqual(try S3Location(url: "s3://b12?endpoint=https://s3.amazonaws.com").port, 443)
        for bad in ["s3://Bad_Bucket?endpoint=http://h", "s3://bucket", "s3://bucket?endpoint=ftp://h",
                    "http://bucket?endpoint=http://h", "s3://bucket/../x?endpoint=http://h", "s3://ab?endpoint=http://h"] {
            XCTAssertThrowsError(try S3Location(url: bad), bad)
        }
    }
}
