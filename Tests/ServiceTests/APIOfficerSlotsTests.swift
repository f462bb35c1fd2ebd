import CustodyCore
import Foundation
import POSIX
import TestSupport
import XCTest
@testable import Service
@testable import Vault

/// Each officer has at most 2 API commands or uploads under way, the place taken before an upload's
/// body is received; an upload the disk cannot hold twice is refused before its body is received.
final class APIOfficerSlotsTests: TusTestCase {
    var first = ""
    var second = ""

    override func configure(_ c: inout ServiceConfiguration) {
        c.executable = TestPaths.custodyBinary  // the uploads never finish: no command runs
    }

    override func beforeStart() throws {
        first = try vault.addOfficer("PC-7", name: "P. Seven", role: .evidenceOfficer, by: .system)
        second = try vault.addOfficer("PC-8", name: "P. Eight", role: .evidenceOfficer, by: .system)
    }

    /// The head of an ingest upload of `length` bytes with `token`.
    func ingestHead(_ token: String, length: Int64) -> String {
        let argv = #"["ingest","a.bin","--device","BW2-1"]"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)
        return "POST /api/v1/exhibits?file=a.bin&argv=\(argv ?? "") HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + "Authorization: Bearer \(token)\r\nContent-Length: \(length)\r\n\r\n"
    }

    /// The API requests' scratch folders: one per request past its checks, receiving or running.
    func underWay() throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: directory.scratch).filter { $0.hasSuffix("-api") }.count
    }

    func testAnOfficerHasAtMostTwoUploadsUnderWay() throws {
        var held = [RawClient]()
        for _ in 0..<2 {
            let client = try RawClient(port: port)
            client.send(ingestHead(first, length: 1000) + "0123456789")  // the rest never comes
            held.append(client)
        }
        try waitUntil("both uploads are being received") { try underWay() == 2 }
        let third = try RawClient(port: port)
        third.send(ingestHead(first, length: 10) + "0123456789")
        let refused = try XCTUnwrap(third.readResponse())
        XCTAssertEqual(refused.status, 429, refused.text)
        XCTAssertTrue(refused.text.contains("2 commands or uploads under way"), refused.text)
        XCTAssertEqual(try underWay(), 2, "its body was not received")
        let recorded = try XCTUnwrap(events().last)
        XCTAssertEqual(recorded.actor, .officer("PC-7"))
        XCTAssertEqual(recorded.outcome, .refused)
        XCTAssertEqual(recorded.action, .ingest)

        // Another officer is not held up by PC-7's.
        let other = try RawClient(port: port)
        other.send(ingestHead(second, length: 1000) + "0123456789")
        try waitUntil("PC-8's upload is being received") { try underWay() == 3 }
        // One of PC-7's ends: its place is free again.
        held.removeFirst()
        try waitUntil("the broken upload's folder is removed") { try underWay() == 2 }
        let again = try RawClient(port: port)
        again.send(ingestHead(first, length: 1000) + "0123456789")
        try waitUntil("PC-7's new upload is being received") { try underWay() == 3 }
        withExtendedLifetime((held, other, again)) {}
    }

    func testAnUploadTheDiskCannotHoldTwiceIsRefusedBeforeItsBody() throws {
        let free = try FS.freeBytes(directory.root)
        let length = free / 2 + 1
        guard length <= 64 << 30 else { throw XCTSkip("the disk has more free than twice the largest upload") }
        let client = try RawClient(port: port)
        client.send(ingestHead(first, length: length))
        let refused = try XCTUnwrap(client.readResponse())
        XCTAssertEqual(refused.status, 507, refused.text)
        XCTAssertTrue(refused.text.contains("needs twice that"), refused.text)
        XCTAssertEqual(try underWay(), 0)
        XCTAssertEqual(try events().last?.outcome, .refused)
    }
}
