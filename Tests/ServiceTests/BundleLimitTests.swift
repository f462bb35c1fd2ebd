import CustodyCore
import Foundation
import Ledger
import TestSupport
import XCTest
@testable import Service
@testable import Vault

/// `max_downloads` against downloads under way at the same time: a response that would send the ZIP's
/// last byte holds a place until it ends, so no more copies go out than the limit allows.
final class BundleLimitTests: BundleTestCase {
    /// Sends a GET for the whole ZIP and reads its head only (so its body is still being sent).
    private func startDownload(_ id: String, _ query: String) throws -> (client: RawClient, received: Int) {
        let client = try RawClient(port: port)
        client.send("GET /bundles/\(id)/\(id).zip?\(query) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while received.firstRange(of: Array("\r\n\r\n".utf8)) == nil {
            let n = buffer.withUnsafeMutableBytes { recv(client.fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            received += buffer[..<n]
        }
        let head = try XCTUnwrap(received.firstRange(of: Array("\r\n\r\n".utf8)), "a response head arrived")
        XCTAssertTrue(String(decoding: received[..<head.lowerBound], as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        return (client, received.count - head.upperBound)
    }

    /// Reads the rest of a body of `size` bytes of which `received` arrived.
    private func finish(_ client: RawClient, received: Int, size: Int) {
        var total = received
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while total < size {
            let n = buffer.withUnsafeMutableBytes { recv(client.fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            total += n
        }
        XCTAssertEqual(total, size, "the first download is whole")
    }

    func testASecondWholeDownloadWhileOneIsUnderWayIsRefusedAtTheLimit() throws {
        let size = 32 << 20  // more than loopback buffers hold: the first response stays under way
        let (id, query) = try builtBundle(random(size), maxDownloads: 1)
        let (first, received) = try startDownload(id, query)
        let before = try events().count
        XCTAssertEqual(try fetch(zipURL(id, query)).status, 403, "a second copy would pass the limit")
        let refused = try linkEvents(after: before)
        XCTAssertEqual(refused.map(\.outcome), [.refused])
        XCTAssertEqual(refused.first?.reason, "over limit")
        let part = try fetch(zipURL(id, query), to: dir.file("part"), ["-H", "Range: bytes=0-9"])
        XCTAssertEqual(part.status, 206, "a range short of the last byte is no copy: served")
        finish(first, received: received, size: size)
        try waitUntil("the first download is counted") { try vault.bundleRegistry.get(id).downloads == 1 }
        XCTAssertEqual(try fetch(zipURL(id, query)).status, 403)
        XCTAssertEqual(try vault.bundleRegistry.get(id).downloads, 1)
    }

    func testABrokenDownloadGivesItsPlaceBackSoItCanBeResumed() throws {
        let size = 32 << 20
        let (id, query) = try builtBundle(random(size), maxDownloads: 1)
        let before = try events().count
        do { _ = try startDownload(id, query) }  // closed here, the body unread
        try waitUntil("the broken response is recorded") {
            try linkEvents(after: before).contains { $0.details["complete"] == "false" }
        }
        let out = dir.file("got.zip")
        XCTAssertEqual(try fetch(zipURL(id, query), to: out).status, 200)
        XCTAssertEqual(try sha256sum(out), try sha256sum(directory.bundles + "/\(id).zip"))
        try waitUntil("the download is counted") { try vault.bundleRegistry.get(id).downloads == 1 }
    }

    /// Ranges short of the last byte are no counted copy, so without a bound on bytes a recipient could
    /// fetch the ZIP any number of times in pieces: the bytes served are bounded by (max_downloads + 1)
    /// x size (the one more for responses broken off).
    func testRangesCannotFetchMoreThanTheLinksCopiesInPieces() throws {
        let size = 1 << 20
        let bytes = random(size)
        let (id, query) = try builtBundle(bytes, maxDownloads: 2)
        var got = [UInt8]()
        for copy in 0..<3 {
            for (from, to) in [(0, size / 2 - 1), (size / 2, size - 2)] {
                let out = dir.file("part-\(copy)-\(from)")
                let r = try fetch(zipURL(id, query), to: out, ["-H", "Range: bytes=\(from)-\(to)"])
                XCTAssertEqual(r.status, 206)
                if copy == 0 { got += try Array(Data(contentsOf: URL(fileURLWithPath: out))) }
            }
        }
        XCTAssertEqual(got, Array(bytes[..<(size - 1)]))
        XCTAssertEqual(try vault.bundleRegistry.get(id).downloads, 0, "no response sent the last byte")
        let before = try events().count
        let r = try fetch(zipURL(id, query), to: dir.file("more"), ["-H", "Range: bytes=0-3"])
        XCTAssertEqual(r.status, 403, "4 bytes past 3 x size less 3")
        // (The `download` events of the responses before may still be being recorded as they end.)
        XCTAssertEqual(try linkEvents(after: before).filter { $0.outcome == .refused }.map(\.reason), ["over limit"])
        // Three bytes are left: the last three are served (a counted copy: it sends the last byte), then none.
        XCTAssertEqual(try fetch(zipURL(id, query), to: dir.file("last"), ["-H", "Range: bytes=-3"]).status, 206)
        XCTAssertEqual(try fetch(zipURL(id, query), to: dir.file("none"), ["-H", "Range: bytes=-1"]).status, 403)
        XCTAssertEqual(try vault.bundleRegistry.bytesServed(id), 3 * Int64(size))
        try waitUntil("the last three bytes are counted as a copy") { try vault.bundleRegistry.get(id).downloads == 1 }
    }
}
