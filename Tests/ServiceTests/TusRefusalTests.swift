import CustodyCore
import Crypto
import Foundation
import Ledger
import TestSupport
import Uploads
import XCTest
@testable import Service
@testable import Vault

/// What a registered dock is refused, each refusal in the ledger; a fully received upload cannot be
/// destroyed; a tus header given twice is refused.
final class TusRefusalTests: TusTestCase {
    override func configure(_ c: inout ServiceConfiguration) {
        c.maxUploadBytes = 1 << 20
    }

    /// The refusals of dock-1 recorded so far, as `status refusal` (its 404s for dock-2's uploads apart).
    func refusals() throws -> [String] {
        try events().filter { $0.actor == .device("dock-1") && $0.outcome == .refused }
            .map { "\($0.details["status"] ?? "-") \($0.details["refusal"] ?? "-")" }
    }

    /// Runs `request`, expects `status`, and that exactly one refusal event with it was appended.
    func expectRecorded(_ status: Int, _ what: String, _ request: () throws -> (status: Int, headers: [String: String],
                                                                                  body: String)) throws {
        let before = try refusals()
        let answer = try request()
        XCTAssertEqual(answer.status, status, "\(what): \(answer.body)")
        let added = Array(try refusals().dropFirst(before.count))
        XCTAssertEqual(added.count, 1, "\(what): \(added)")
        XCTAssertEqual(added.first?.hasPrefix("\(status) "), true, "\(what): \(added)")
    }

    func testEveryRefusalOfARegisteredDockIsInTheLedger() throws {
        let hello = try file("hello", Array("hello".utf8))
        let created = try curl("POST", "", token: token1, headers: ["Upload-Length: 10"])
        let location = try XCTUnwrap(created.headers["location"])
        try expectRecorded(413, "over Tus-Max-Size") {
            try curl("POST", "", token: token1, headers: ["Upload-Length: \((1 << 20) + 1)"])
        }
        try expectRecorded(400, "bad metadata") {
            try curl("POST", "", token: token1, headers: ["Upload-Length: 5", "Upload-Metadata: captured_at eA=="])
        }
        try expectRecorded(409, "wrong offset") {
            try curl("PATCH", location, token: token1, headers: [octets, "Upload-Offset: 3"], body: hello)
        }
        try expectRecorded(415, "not an offset stream") {
            try curl("PATCH", location, token: token1, headers: ["Content-Type: text/plain", "Upload-Offset: 0"],
                     body: hello)
        }
        try expectRecorded(460, "wrong Upload-Checksum") {
            try curl("PATCH", location, token: token1, headers: [
                octets, "Upload-Offset: 0", "Upload-Checksum: sha256 \(Base64.encode(SHA256.hash([1]).bytes))"],
                body: hello)
        }
        try expectRecorded(404, "an unknown upload") {
            try curl("HEAD", "0123456789abcdef0123456789abcdef", token: token1)
        }
        try expectRecorded(412, "another tus version") {
            try curl("HEAD", location, token: token1, tusVersion: "0.2.2")
        }
        XCTAssertEqual(try curl("DELETE", location, token: token1).status, 204)
        try expectRecorded(410, "PATCH of a terminated upload") {
            try curl("PATCH", location, token: token1, headers: [octets, "Upload-Offset: 0"], body: hello)
        }
        try expectRecorded(410, "DELETE of a terminated upload") { try curl("DELETE", location, token: token1) }
        let event = try XCTUnwrap(events().last)
        XCTAssertEqual(event.details["upload"], String(location.suffix(32)))
        XCTAssertEqual(event.details["method"], "DELETE")
        XCTAssertEqual(event.reason, "the upload is terminated")
    }

    func testAFullyReceivedUploadWhoseIngestFailedCannotBeDeleted() throws {
        // Every byte durably stored, the ingest not done: as after an ingest that failed.
        let store = try UploadStore(vault: vault)
        let bytes = [UInt8](repeating: 7, count: 6000)
        let upload = try receivedUpload(bytes, store: store)
        let pieces = try FileManager.default.contentsOfDirectory(atPath: store.dataPath(upload.id))
        XCTAssertEqual(pieces, ["p000000"])
        try expectRecorded(403, "DELETE of a fully received upload") { try curl("DELETE", upload.id, token: token1) }
        XCTAssertEqual(try events().last?.reason?.contains("evidence waiting to be ingested"), true)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.dataPath(upload.id)), pieces)
        XCTAssertFalse(try events().contains { $0.details["change"] == "terminated" })
        // Still ingested by the next HEAD.
        let head = try curl("HEAD", upload.id, token: token1)
        let exhibit = try vault.catalog.find(try XCTUnwrap(head.headers["custody-exhibit"]))
        XCTAssertEqual(exhibit.sha256, SHA256.hash(bytes))
    }

    func testATusHeaderGivenTwiceIsRefused() throws {
        let created = try curl("POST", "", token: token1, headers: ["Upload-Length: 5"])
        let location = try XCTUnwrap(created.headers["location"])
        let hello = try file("hello", Array("hello".utf8))
        let sum = "Upload-Checksum: sha256 \(Base64.encode(SHA256.hash(Array("hello".utf8)).bytes))"
        let twice: [(header: String, method: String, target: String, others: [String])] = [
            ("Upload-Length: 5", "POST", "", []),
            ("Upload-Metadata: filename YS5tcDQ=", "POST", "", ["Upload-Length: 5"]),
            ("Upload-Defer-Length: 1", "POST", "", ["Upload-Length: 5"]),
            ("Upload-Concat: partial", "POST", "", ["Upload-Length: 5"]),
            ("Upload-Offset: 0", "PATCH", location, [octets]),
            (sum, "PATCH", location, [octets, "Upload-Offset: 0"]),
            (octets, "PATCH", location, ["Upload-Offset: 0"]),
            ("Tus-Resumable: 1.0.0", "PATCH", location, [octets, "Upload-Offset: 0"]),
        ]
        for (header, method, target, others) in twice {
            let name = String(header.prefix { $0 != ":" })
            try expectRecorded(400, "\(name) twice") {
                try curl(method, target, token: token1, headers: others + [header, header],
                         body: method == "PATCH" ? hello : nil)
            }
            XCTAssertTrue(try refusals().last?.hasSuffix("duplicate_header") ?? false)
        }
        // The first one does not win: 5 then 999999 is refused, not an upload of 5 bytes.
        let conflicting = try curl("POST", "", token: token1, headers: ["Upload-Length: 5", "Upload-Length: 999999"])
        XCTAssertEqual(conflicting.status, 400)
        XCTAssertTrue(conflicting.body.contains("Upload-Length is given more than once"), conflicting.body)
        XCTAssertNil(conflicting.headers["location"])
        // Two tokens: which dock is it? Refused, and recorded as a request without a valid token.
        let unauthenticated = try events().filter { $0.actor.id == "unauthenticated" }.count
        let two = try curl("GET", location, token: token1, headers: ["Authorization: Bearer \(token2)"])
        XCTAssertEqual(two.status, 400)
        XCTAssertTrue(two.body.contains("Authorization is given more than once"), two.body)
        XCTAssertEqual(try events().filter { $0.actor.id == "unauthenticated" }.count, unauthenticated + 1)
        XCTAssertEqual(try curl("HEAD", location, token: token1).headers["upload-offset"], "0", "nothing was written")
        let sent = try curl("PATCH", location, token: token1, headers: [octets, "Upload-Offset: 0", sum], body: hello)
        XCTAssertEqual(sent.status, 204, sent.body)
    }
}

/// A dock's refusals are bounded in the ledger like those without a token, per dock.
final class TusDockRefusalBudgetTests: TusTestCase {
    override func configure(_ c: inout ServiceConfiguration) {
        c.refusalsRecordedPerWindow = 2
    }

    /// Stops the service, which records the open window's summaries; returns the ledger's events.
    func stopService() throws -> [CustodyEvent] {
        service.shutdown()
        service.waitUntilStopped()
        service = nil
        return try events()
    }

    func testADocksRefusalsBeyondItsBurstAreCountedIntoOneEvent() throws {
        let before = try events().count
        let unknown = "0123456789abcdef0123456789abcdef"
        for _ in 0..<5 { XCTAssertEqual(try curl("HEAD", unknown, token: token1).status, 404) }
        XCTAssertEqual(try curl("HEAD", unknown, token: token2).status, 404)
        XCTAssertEqual(try events().dropFirst(before).map(\.actor.id), ["dock-1", "dock-1", "dock-2"],
                       "each dock has a budget of its own")
        let summary = try XCTUnwrap(stopService().last)
        XCTAssertEqual(summary.actor, .device("dock-1"))
        XCTAssertEqual(summary.details["attempts"], "3")
        XCTAssertEqual(summary.details["peers"], "127.0.0.1=3")
    }

    func testAnotherDocksUploadIsRefusedLikeAnUnknownOneWithinTheDocksBudget() throws {
        let created = try curl("POST", "", token: token1, headers: ["Upload-Length: 10"])
        let id = String(try XCTUnwrap(created.headers["location"]).suffix(32))
        let before = try events().count
        let unknown = try curl("HEAD", "0123456789abcdef0123456789abcdef", token: token2)
        for method in ["HEAD", "DELETE", "GET"] {
            let probe = try curl(method, id, token: token2)
            XCTAssertEqual(probe.status, 404, method)
            XCTAssertEqual(probe.body, method == "HEAD" ? unknown.body : "no such upload\n",
                           "\(method): the answer does not tell that the upload exists")
        }
        // The unknown ID and the first probe get an event each (burst 2); the other two are counted.
        let recorded = Array(try events().dropFirst(before))
        XCTAssertEqual(recorded.map(\.actor), [.device("dock-2"), .device("dock-2")])
        XCTAssertEqual(recorded.last?.reason, "not this dock's upload: it belongs to another dock")
        XCTAssertEqual(recorded.last?.details["upload"], id)
        XCTAssertEqual(recorded.last?.details["status"], "404")
        let summary = try XCTUnwrap(stopService().last)
        XCTAssertEqual(summary.actor, .device("dock-2"))
        XCTAssertEqual(summary.details["attempts"], "2")
    }
}
