import Foundation
import ObjectStore
import XCTest

/// Endpoints given as a bracketed IPv6 address (`http://[::1]:9000`): parsed, connected to, and signed with
/// `Host: [::1]:9000` as RFC 3986 writes it; a malformed one is refused, saying how to write it.
final class S3EndpointTests: XCTestCase {
    func testABracketedIPv6EndpointParses() throws {
        let location = try S3Location(url: "s3://bucket/p?endpoint=http://[::1]:9000&region=eu-west-2")
        XCTAssertEqual(location.host, "::1")
        XCTAssertEqual(location.port, 9000)
        XCTAssertTrue(location.description.contains("endpoint=http://[::1]:9000&"), location.description)
        XCTAssertEqual(try S3Location(url: location.description), location)
        XCTAssertEqual(try S3Location(url: "s3://bucket/p?endpoint=https://[2001:db8::7]").port, 443)
    }

    /// A CA file's path with a space, `&`, `=` or `%` is percent-encoded in the stored form and decoded back.
    func testACAFilePathWithSpacesAndQuerySignsRoundTrips() throws {
        let path = "/etc/force ca/a&b=1 100%.pem"
        let location = S3Location(bucket: "bucket", prefix: "p", host: "rgw.example", port: 7480, secure: true,
                                  caFile: path)
        XCTAssertTrue(location.description.hasSuffix("&ca-file=/etc/force%20ca/a%26b%3D1%20100%25.pem"),
                      location.description)
        let parsed = try S3Location(url: location.description)
        XCTAssertEqual(parsed.caFile, path)
        XCTAssertEqual(parsed, location)
        XCTAssertEqual(parsed.region, "us-east-1", "the path's `&` starts no other setting")
        XCTAssertNil(location.withCAFile(nil).caFile)
        XCTAssertFalse(location.withCAFile(nil).description.contains("ca-file"))
    }

    func testAMalformedIPv6EndpointIsRefusedSayingHowToWriteIt() {
        for endpoint in ["http://[::1:9000", "http://[::1]x:9000", "http://::1:9000", "http://[zz]:9000",
                         "http://[fe80::1%25eth0]:9000", "http://[127.0.0.1]:80"] {
            XCTAssertThrowsError(try S3Location(url: "s3://bucket/p?endpoint=\(endpoint)")) {
                XCTAssertTrue($0 is S3Location.ParseError, "\(endpoint): \($0)")
                XCTAssertTrue("\($0)".contains("IPv6"), "\(endpoint): \($0)")
            }
        }
    }

    func testARequestToAnIPv6EndpointGoesToItAndSignsTheBracketedHost() throws {
        let server: FaultyS3
        do { server = try FaultyS3([.answer(200, "")], ipv6: true) } catch {
            throw XCTSkip("this machine has no IPv6 loopback (::1): \(error)")
        }
        let location = try S3Location(url: "s3://bucket/p/?endpoint=http://[::1]:\(server.port)")
        let credentials = S3Credentials(accessKeyID: "AKID", secretAccessKey: "secret")
        let date = Date(timeIntervalSince1970: 1_800_000_000)
        let client = try S3Client(location: location, credentials: credentials, retry: RetryPolicy(attempts: 1),
                                  now: { date })
        try client.perform(S3Client.Request("HEAD", key: "k", operation: "HEAD"))
        XCTAssertEqual(server.requestCount, 1)
        let received = server.heads[0].split(separator: "\r\n").dropFirst().map { line in
            let colon = line.firstIndex(of: ":")!
            return (name: line[..<colon].lowercased(), value: line[line.index(after: colon)...]
                .trimmingCharacters(in: .whitespaces))
        }
        XCTAssertEqual(received.first { $0.name == "host" }?.value, "[::1]:\(server.port)")
        // What a server does: sign what arrived, and compare.
        let authorization = received.first { $0.name == "authorization" }?.value
        let signed = SigV4(credentials: credentials, region: "us-east-1").sign(
            SigV4Request(method: "HEAD", path: "/bucket/p/k", headers: received.filter { $0.name != "authorization" },
                         payloadHash: SigV4.emptyPayloadHash), at: date)
        XCTAssertEqual(authorization, signed.authorization)
        XCTAssertTrue(authorization?.contains("SignedHeaders=host;") == true, authorization ?? "none")
    }
}
