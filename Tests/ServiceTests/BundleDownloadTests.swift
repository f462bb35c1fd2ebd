import CustodyCore
import Foundation
import Ledger
import TestSupport
import XCTest
@testable import Service
@testable import Vault

/// The recipient's side over loopback: the landing page, the ZIP whole, in ranges, resumed after a
/// broken connection, HEAD and If-Range, and the events each response leaves.
final class BundleDownloadTests: BundleTestCase {
    func testLandingPageShowsTheBundleEscapedAndRecordsAView() throws {
        let (id, query) = try builtBundle()
        let before = try events().count
        let out = dir.file("page.html")
        let r = try fetch(landingURL(id, query), to: out)
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.headers["content-type"], "text/html; charset=utf-8")
        XCTAssertEqual(r.headers["cache-control"], "no-store")
        XCTAssertEqual(r.headers["x-content-type-options"], "nosniff")
        XCTAssertEqual(r.headers["referrer-policy"], "no-referrer")
        XCTAssertTrue(r.headers["content-security-policy"]?.hasPrefix("default-src 'none'; style-src 'unsafe-inline'")
                      ?? false)
        let html = try String(contentsOfFile: out, encoding: .utf8)
        let bundle = try XCTUnwrap(try vault.bundleRegistry.find(id))
        let exhibit = try vault.catalog.find("EX-000001")
        for text in [id, "test", "CASE-1", "R v &lt;Smith&gt; &amp; &quot;Jones&quot;", recipient, "PC-1",
                     try XCTUnwrap(bundle.sha256), exhibit.sha256.hex, "\(id)/data/EX-000001__b_Ken_s__clip_.mp4",
                     "href=\"/bundles/\(id)/\(id).zip?\(query.replacingOccurrences(of: "&", with: "&amp;"))\"",
                     "sha256sum \(id).zip", "openssl pkeyutl -verify",
                     "bagit.py --validate", "custody bundle verify \(id).zip --server http://127.0.0.1:8080",
                     "http://127.0.0.1:8080/ledger/checkpoint", "/ledger/consistency?from=N", "4096 bytes"] {
            XCTAssertTrue(html.contains(text), "the page shows \(text)")
        }
        XCTAssertFalse(html.contains("<b>") || html.contains("<Smith>") || html.contains("<script"),
                       "names from docks and officers are escaped; no script")
        let seen = try linkEvents(after: before)
        XCTAssertEqual(seen.count, 1)
        XCTAssertEqual(seen.first?.action, .view)
        XCTAssertEqual(seen.first?.actor, Actor(id: recipient, kind: .recipient))
        XCTAssertEqual(seen.first?.caseID, "CASE-1")
        XCTAssertEqual(seen.first?.details["bundle"], id)
        XCTAssertEqual(seen.first?.details["page"], "landing")
    }

    func testPublicURLSettingIsUsedOnThePage() throws {
        XCTAssertThrowsError(try vault.setPublicURL("ftp://example.org", by: .officer("PC-1")))
        XCTAssertThrowsError(try vault.setPublicURL("https://example.org/?q=1", by: .officer("PC-1")))
        try vault.setPublicURL("https://evidence.example.police.uk/", by: .officer("PC-1"))
        XCTAssertEqual(try vault.publicURL(), "https://evidence.example.police.uk")
        let (id, query) = try builtBundle()
        let out = dir.file("page.html")
        XCTAssertEqual(try fetch(landingURL(id, query), to: out).status, 200)
        XCTAssertTrue(try String(contentsOfFile: out, encoding: .utf8)
            .contains("https://evidence.example.police.uk/ledger/key"))
    }

    func testCurlDownloadsTheZipAndTheCompletedDownloadIsCounted() throws {
        let (id, query) = try builtBundle()
        let before = try events().count
        let out = dir.file("got.zip")
        let r = try fetch(zipURL(id, query), to: out)
        XCTAssertEqual(r.status, 200)
        let sha = try sha256sum(directory.bundles + "/\(id).zip")
        XCTAssertEqual(try sha256sum(out), sha)
        XCTAssertEqual(r.headers["etag"], "\"\(sha)\"")
        XCTAssertEqual(r.headers["accept-ranges"], "bytes")
        XCTAssertEqual(r.headers["content-length"], String(3 << 20))
        XCTAssertEqual(r.headers["content-type"], "application/zip")
        XCTAssertEqual(r.headers["content-disposition"], "attachment; filename=\"\(id).zip\"")
        XCTAssertEqual(r.headers["cache-control"], "no-store")
        try waitUntil("the download's end is recorded") { try linkEvents(after: before).count == 2 }
        let (start, end) = try { () throws -> (CustodyEvent, CustodyEvent) in
            let e = try linkEvents(after: before)
            return (e[0], e[1])
        }()
        XCTAssertEqual(start.action, .download)
        XCTAssertEqual(start.outcome, .ok)
        XCTAssertEqual(start.details["range"], "bytes 0-\((3 << 20) - 1)/\(3 << 20)")
        XCTAssertEqual(start.details["bytes"], String(3 << 20))
        XCTAssertEqual(end.actor, Actor(id: recipient, kind: .recipient))
        XCTAssertEqual(end.caseID, "CASE-1")
        XCTAssertNil(end.exhibit)
        XCTAssertEqual(end.details["bundle"], id)
        XCTAssertEqual(end.details["bytes_sent"], String(3 << 20))
        XCTAssertEqual(end.details["complete"], "true")
        XCTAssertEqual(end.details["download_completed"], "true")
        XCTAssertEqual(end.details["downloads"], "1")
        XCTAssertEqual(try vault.bundleRegistry.get(id).downloads, 1)
    }

    func testAnInterruptedDownloadResumesWithCurlToTheSameBytes() throws {
        let (id, query) = try builtBundle(random(16 << 20))
        let before = try events().count
        // A client that reads the head and some of the body, then goes away.
        var received = [UInt8]()
        do {
            let client = try RawClient(port: port)
            client.send("GET /bundles/\(id)/\(id).zip?\(query) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            var buffer = [UInt8](repeating: 0, count: 65536)
            while received.count < 300_000 {
                let n = buffer.withUnsafeMutableBytes { recv(client.fd, $0.baseAddress, $0.count, 0) }
                guard n > 0 else { break }
                received += buffer[..<n]
            }
        }  // closed here
        let head = try XCTUnwrap(received.firstRange(of: Array("\r\n\r\n".utf8)))
        let partial = dir.file("resumed.zip")
        try Data(received[head.upperBound...]).write(to: URL(fileURLWithPath: partial))
        try waitUntil("the broken response is recorded") {
            try linkEvents(after: before).contains { $0.details["complete"] == "false" }
        }
        let broken = try XCTUnwrap(try linkEvents(after: before).first { $0.details["complete"] == "false" })
        XCTAssertEqual(broken.outcome, .failed)
        XCTAssertEqual(broken.details["download_completed"], "false")
        let sent = try XCTUnwrap(Int(broken.details["bytes_sent"] ?? ""))
        XCTAssertGreaterThanOrEqual(sent, received.count - head.upperBound, "at least what the client read was sent")
        XCTAssertLessThan(sent, 16 << 20)
        XCTAssertEqual(try vault.bundleRegistry.get(id).downloads, 0, "a broken download is not counted")

        let r = try fetch(zipURL(id, query), to: partial, ["-C", "-"])
        XCTAssertEqual(r.status, 206)
        XCTAssertEqual(try sha256sum(partial), try sha256sum(directory.bundles + "/\(id).zip"), "byte-identical")
        try waitUntil("the resumed download is counted") { try vault.bundleRegistry.get(id).downloads == 1 }
    }

    func testRangesHeadAndIfRange() throws {
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 % 251) }
        let (id, query) = try builtBundle(bytes)
        let url = zipURL(id, query)
        let etag = "\"\(try sha256sum(directory.bundles + "/\(id).zip"))\""
        let first = try events().count
        func body(_ extra: [String]) throws -> (Int, [String: String], [UInt8]) {
            let out = dir.file("part")
            try? FileManager.default.removeItem(atPath: out)
            let r = try fetch(url, to: out, extra)
            return (r.status, r.headers, Array((try? Data(contentsOf: URL(fileURLWithPath: out))) ?? Data()))
        }
        var (status, headers, got) = try body(["-H", "Range: bytes=10-19"])
        XCTAssertEqual(status, 206)
        XCTAssertEqual(headers["content-range"], "bytes 10-19/100000")
        XCTAssertEqual(got, Array(bytes[10...19]))
        (status, headers, got) = try body(["-H", "Range: bytes=-5"])
        XCTAssertEqual(headers["content-range"], "bytes 99995-99999/100000")
        XCTAssertEqual(got, Array(bytes[99995...]))
        (status, headers, got) = try body(["-H", "Range: bytes=99990-"])
        XCTAssertEqual(got, Array(bytes[99990...]))
        (status, headers, _) = try body(["-H", "Range: bytes=100000-"])
        XCTAssertEqual(status, 416)
        XCTAssertEqual(headers["content-range"], "bytes */100000")
        (status, _, got) = try body(["-H", "Range: bytes=0-1,5-6"])
        XCTAssertEqual(status, 200, "several ranges: the whole file")
        XCTAssertEqual(got, bytes)
        (status, _, got) = try body(["-H", "Range: bytes=0-9", "-H", "If-Range: \(etag)"])
        XCTAssertEqual(status, 206, "If-Range with the current ETag: the range")
        XCTAssertEqual(got, Array(bytes[0...9]))
        let stale = "\"\(String(repeating: "0", count: 64))\""
        (status, _, got) = try body(["-H", "Range: bytes=0-9", "-H", "If-Range: \(stale)"])
        XCTAssertEqual(status, 200, "If-Range with a stale ETag: the whole file")
        XCTAssertEqual(got, bytes)

        // Six responses with a body, each recorded before and after it; none for the 416.
        try waitUntil("every response recorded") { try linkEvents(after: first).count == 12 }
        // Counted: the two whole files and the two ranges that reached the last byte.
        XCTAssertEqual(try vault.bundleRegistry.get(id).downloads, 4)
        let before = try events().count
        let head = try fetch(url, ["-I"])
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.headers["content-length"], "100000")
        XCTAssertEqual(head.headers["etag"], etag)
        let recorded = try linkEvents(after: before)
        XCTAssertEqual(recorded.count, 1, "HEAD: one event, before the answer")
        XCTAssertEqual(recorded.first?.details["method"], "HEAD")
    }
}
