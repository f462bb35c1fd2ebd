import CustodyCore
import Crypto
import Foundation
import Ledger
import TestSupport
import Uploads
import XCTest
@testable import Service
@testable import Vault

final class TusProtocolTests: TusTestCase {
    func testHandWrittenTusRequestsWithCurl() throws {
        let fixture = TestPaths.fixture("bodycam-b.mp4")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture)))
        let options = try curl("OPTIONS", "", token: nil, tusVersion: nil)
        XCTAssertEqual(options.status, 204)
        XCTAssertEqual(options.headers["tus-version"], "1.0.0")
        XCTAssertEqual(options.headers["tus-checksum-algorithm"], "sha1,sha256")
        XCTAssertTrue(options.headers["tus-extension"]?.contains("creation-with-upload") ?? false)

        // Creation with the first 1000 bytes, checked with sha1.
        let first = try file("first", Array(bytes[0..<1000]))
        let sha1 = SHA1()
        bytes[0..<1000].withUnsafeBytes { sha1.update($0) }
        let created = try curl("POST", "", token: token1, headers: [
            "Upload-Length: \(bytes.count)", "Content-Type: application/offset+octet-stream",
            "Upload-Checksum: sha1 \(Base64.encode(sha1.finalize()))",
            metadata(["filename": "bodycam-b.mp4", "device": "BW2-000982", "officer": "PC-4471",
                      "captured_at": "2026-11-02T22:40:12Z"]),
        ], body: first)
        XCTAssertEqual(created.status, 201, created.body)
        XCTAssertEqual(created.headers["upload-offset"], "1000")
        XCTAssertNotNil(created.headers["upload-expires"])
        let location = try XCTUnwrap(created.headers["location"])
        XCTAssertTrue(location.hasPrefix(url), location)

        let head = try curl("HEAD", location, token: token1)
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.headers["upload-offset"], "1000")
        XCTAssertEqual(head.headers["upload-length"], String(bytes.count))
        XCTAssertEqual(head.headers["cache-control"], "no-store")
        XCTAssertTrue(head.headers["upload-metadata"]?.contains("filename Ym9keWNhbS1iLm1wNA==") ?? false)

        let rest = try file("rest", Array(bytes[1000...]))
        let octets = "Content-Type: application/offset+octet-stream"
        XCTAssertEqual(try curl("PATCH", location, token: token1, headers: [octets, "Upload-Offset: 0"], body: rest).status, 409)
        XCTAssertEqual(try curl("PATCH", location, token: token1, headers: ["Content-Type: text/plain",
            "Upload-Offset: 1000"], body: rest).status, 415)
        XCTAssertEqual(try curl("PATCH", location, token: token1, headers: [octets, "Upload-Offset: 1000"], body: rest,
                                tusVersion: "0.2.2").status, 412)
        XCTAssertEqual(try curl("PATCH", location, token: token1, headers: [octets, "Upload-Offset: 1000"], body: rest,
                                tusVersion: nil).status, 412)
        let tooLong = try file("long", Array(bytes[1000...]) + [0])
        XCTAssertEqual(try curl("PATCH", location, token: token1, headers: [octets, "Upload-Offset: 1000"],
                                body: tooLong).status, 413)
        let wrongSum = try curl("PATCH", location, token: token1, headers: [
            octets, "Upload-Offset: 1000", "Upload-Checksum: sha256 \(Base64.encode(SHA256.hash([1]).bytes))"], body: rest)
        XCTAssertEqual(wrongSum.status, 460)
        XCTAssertEqual(try curl("HEAD", location, token: token1).headers["upload-offset"], "1000", "the chunk was discarded")
        XCTAssertEqual(try curl("PATCH", location, token: token1, headers: [octets, "Upload-Offset: 1000",
            "Upload-Checksum: md5 AAAA"], body: rest).status, 400)

        let done = try curl("PATCH", location, token: token1, headers: [
            octets, "Upload-Offset: 1000", "Upload-Checksum: sha256 \(Base64.encode(SHA256.hash(Array(bytes[1000...])).bytes))",
        ], body: rest)
        XCTAssertEqual(done.status, 204, done.body)
        XCTAssertEqual(done.headers["upload-offset"], String(bytes.count))
        let exhibitID = try XCTUnwrap(done.headers["custody-exhibit"])
        let exhibit = try vault.catalog.find(exhibitID)
        XCTAssertEqual(exhibit.sha256.hex, try sha256sum(fixture))
        XCTAssertEqual(exhibit.filename, "bodycam-b.mp4")
        XCTAssertEqual(exhibit.device, "BW2-000982")
        XCTAssertEqual(exhibit.officer, "PC-4471")
        XCTAssertEqual(exhibit.capturedAt, "2026-11-02T22:40:12.000Z")
        XCTAssertEqual(exhibit.status, .ok)
        XCTAssertFalse(FileManager.default.fileExists(atPath: try UploadStore(vault: vault).dataPath(String(location.suffix(32)))))
        let finished = try curl("HEAD", location, token: token1)
        XCTAssertEqual(finished.headers["upload-offset"], String(bytes.count))
        XCTAssertEqual(finished.headers["custody-exhibit"], exhibitID)

        let ingest = try XCTUnwrap(try events().last { $0.action == .ingest })
        XCTAssertEqual(ingest.actor, .device("dock-1"))
        XCTAssertEqual(ingest.exhibit, exhibitID)
    }

    func testTerminationAndBadRequests() throws {
        let created = try curl("POST", "", token: token1, headers: ["Upload-Length: 100"])
        XCTAssertEqual(created.status, 201)
        let location = try XCTUnwrap(created.headers["location"])
        XCTAssertEqual(try curl("DELETE", location, token: token1).status, 204)
        XCTAssertEqual(try curl("HEAD", location, token: token1).status, 410)
        XCTAssertEqual(try curl("DELETE", location, token: token1).status, 410)
        XCTAssertEqual(try curl("POST", "", token: token1).status, 400, "no Upload-Length")
        XCTAssertEqual(try curl("POST", "", token: token1, headers: ["Upload-Length: -5"]).status, 400)
        XCTAssertEqual(try curl("POST", "", token: token1, headers: ["Upload-Length: 99999999999999999999"]).status, 400)
        XCTAssertEqual(try curl("POST", "", token: token1, headers: ["Upload-Length: \(Int64(1) << 40)"]).status, 413)
        XCTAssertEqual(try curl("POST", "", token: token1, headers: ["Upload-Length: 5", "Upload-Metadata: a b c"]).status, 400)
        XCTAssertEqual(try curl("POST", "", token: token1, headers: ["Upload-Length: 5",
                                                                     metadata(["captured_at": "yesterday"])]).status, 400)
        XCTAssertEqual(try curl("HEAD", "0123456789abcdef0123456789abcdef", token: token1).status, 404)
        XCTAssertEqual(try curl("HEAD", "../../custody.sqlite", token: token1).status, 404)
        XCTAssertEqual(try curl("PUT", "0123456789abcdef0123456789abcdef", token: token1).status, 405)
    }

    func testTokensAndOwnershipAreEnforcedAndRefusalsLogged() throws {
        let created = try curl("POST", "", token: token1, headers: ["Upload-Length: 10"])
        let location = try XCTUnwrap(created.headers["location"])
        XCTAssertEqual(try curl("HEAD", location, token: nil).status, 401)
        XCTAssertEqual(try curl("HEAD", location, token: "cdt_not-a-real-token").status, 401)
        XCTAssertEqual(try curl("POST", "", token: "garbage", headers: ["Upload-Length: 10"]).status, 401)
        XCTAssertEqual(try curl("HEAD", location, token: token2).status, 404, "dock-2 cannot see dock-1's upload")
        XCTAssertEqual(try curl("DELETE", location, token: token2).status, 404)
        try vault.revokeDevice("dock-1", by: .officer("PC-1"))
        XCTAssertEqual(try curl("HEAD", location, token: token1).status, 401, "revoked")

        let refused = try events().filter { $0.outcome == .refused }
        XCTAssertEqual(refused.filter { $0.reason == "unknown or revoked token" }.count, 3)
        XCTAssertEqual(refused.filter { $0.reason == "no bearer token" }.count, 1)
        XCTAssertEqual(refused.filter { $0.actor == .device("dock-2") }.count, 2)
        let everything = try events().map { String(decoding: $0.leafBytes, as: UTF8.self) }.joined()
        XCTAssertFalse(everything.contains(token1) || everything.contains("cdt_not-a-real-token"), "tokens never logged")
    }

    func testFilenamesCannotEscapeAndControlCharactersAreRefused() throws {
        let body = try file("x", Array("hello".utf8))
        let created = try curl("POST", "", token: token1, headers: [
            "Upload-Length: 5", "Content-Type: application/offset+octet-stream",
            metadata(["filename": "../../../etc/passwd"]),
        ], body: body)
        XCTAssertEqual(created.status, 201)
        let exhibit = try vault.catalog.find(try XCTUnwrap(created.headers["custody-exhibit"]))
        XCTAssertEqual(exhibit.filename, "passwd")
        XCTAssertEqual(exhibit.status, .unreadable, "five bytes are no video, and are kept all the same")
        XCTAssertEqual(try curl("POST", "", token: token1, headers: ["Upload-Length: 5",
                                                                     metadata(["filename": "a\nb.mp4"])]).status, 400)
        XCTAssertEqual(try curl("POST", "", token: token1, headers: ["Upload-Length: 5",
                                                                     metadata(["filename": ".."])]).status, 400)
        // Bidirectional formatting characters would show `clip\u{202E}4pm.exe` as `clipexe.mp4`: refused
        // too, in the name and in any other value, with a 400 naming the key.
        for (key, value) in [("filename", "clip\u{202E}4pm.exe"), ("filename", "a\u{2066}b.mp4"),
                             ("filename", "a\u{200F}.mp4"), ("filename", "a\u{061C}.mp4"), ("note", "x\u{202A}y")] {
            let refused = try curl("POST", "", token: token1, headers: ["Upload-Length: 5", metadata([key: value])])
            XCTAssertEqual(refused.status, 400, "\(key) \(value.unicodeScalars.map { $0.value })")
            XCTAssertTrue(refused.body.contains("Upload-Metadata \(key) contains control or bidirectional"),
                          refused.body)
        }
    }

    func testAWholeFileHashMismatchIsQuarantinedNotIngested() throws {
        let fixture = TestPaths.fixture("bodycam-b.mp4")
        let created = try curl("POST", "", token: token1, headers: [
            "Upload-Length: \(try FileManager.default.attributesOfItem(atPath: fixture)[.size] as! Int)",
            "Content-Type: application/offset+octet-stream",
            metadata(["filename": "b.mp4", "sha256": String(repeating: "ab", count: 32)]),
        ], body: fixture)
        XCTAssertEqual(created.status, 460, created.body)
        XCTAssertTrue(created.body.contains("quarantine"), created.body)
        XCTAssertTrue(try vault.catalog.all().isEmpty)
        let quarantined = try FileManager.default.contentsOfDirectory(atPath: directory.uploads + "/quarantine")
        XCTAssertEqual(quarantined.count, 1)
        let kept = try runProcess("/bin/sh", ["-c", "cat '\(directory.uploads)/quarantine/\(quarantined[0])'/p* | sha256sum"])
        XCTAssertEqual(String(kept.stdout.prefix(64)), try sha256sum(fixture), "the quarantined pieces are the recording")
        let failed = try XCTUnwrap(try events().last { $0.action == .upload })
        XCTAssertEqual(failed.outcome, .failed)
        XCTAssertEqual(failed.details["change"], "quarantined")
    }
}

/// Expiry by the sweeper, on a clock the test moves, one sweeper round at a time.
final class TusExpiryTests: TusTestCase {
    let clock = ManualClock()

    override func configure(_ c: inout ServiceConfiguration) {
        c.clock = clock.clock
        c.sweepInterval = 3600  // no round but those the test runs
    }

    func testAbandonedUploadsExpireAndTheirSpaceIsFreed() throws {
        let body = try file("part", [UInt8](repeating: 7, count: 4096))
        let created = try curl("POST", "", token: token1, headers: [
            "Upload-Length: 100000", "Content-Type: application/offset+octet-stream"], body: body)
        XCTAssertEqual(created.status, 201)
        let location = try XCTUnwrap(created.headers["location"])
        let id = String(location.suffix(32))
        let part = directory.uploads + "/\(id)"
        XCTAssertTrue(FileManager.default.fileExists(atPath: part))
        let expiresAt = clock.now + service.configuration.uploadTTL
        XCTAssertEqual(created.headers["upload-expires"], Tus.httpDate(expiresAt))
        func expiries() throws -> [CustodyEvent] {  // the sweeper's, not the refusals of requests for it
            try events().filter { $0.actor.kind == .system && $0.reason?.contains("expired") ?? false }
        }

        clock.advance(by: Double(expiresAt - 1 - clock.now))
        service.sweepNow()
        XCTAssertTrue(FileManager.default.fileExists(atPath: part), "not expired a second before its expiry")
        XCTAssertEqual(try curl("HEAD", location, token: token1).status, 200)
        XCTAssertTrue(try expiries().isEmpty)

        clock.advance(by: 2)
        service.sweepNow()
        XCTAssertFalse(FileManager.default.fileExists(atPath: part))
        XCTAssertEqual(try curl("HEAD", location, token: token1).status, 410)
        XCTAssertTrue(try events().contains { $0.reason?.contains("expired") ?? false })
        XCTAssertEqual(try expiries().map { $0.details["upload"] }, [id], "one event, about this upload")
    }
}
