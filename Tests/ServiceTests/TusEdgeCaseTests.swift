import CustodyCore
import Crypto
import Foundation
import Ledger
import POSIX
import TestSupport
import XCTest
@testable import Service
@testable import Uploads
@testable import Vault

/// What docks do when links drop and answers are lost, and what other docks must not learn.
final class TusEdgeCaseTests: TusTestCase {
    func create(length: Int, token: String? = nil) throws -> String {
        let created = try curl("POST", "", token: token ?? token1, headers: ["Upload-Length: \(length)"])
        XCTAssertEqual(created.status, 201, created.body)
        return try XCTUnwrap(created.headers["location"])
    }

    func testABodyCutOffJustAfterItsLastByteIsStillIngested() throws {
        let location = try create(length: 100)
        let raw = try RawClient(port: port)
        // A chunked body whose last chunk arrives but whose end (`0\r\n\r\n`) never does.
        raw.send(patchHead(location, token: token1, offset: 0, extra: "Transfer-Encoding: chunked\r\n")
                 + "64\r\n" + String(repeating: "z", count: 100) + "\r\n")
        shutdown(raw.fd, Int32(SHUT_WR))
        // The PATCH itself ingests it, and its answer still reaches the dock's half-open socket.
        let answer = raw.readResponse()
        XCTAssertEqual(answer?.status, 204, answer?.text ?? "no answer")
        let stored = try vault.catalog.find(try XCTUnwrap(answer?.headers["custody-exhibit"]))
        XCTAssertEqual(stored.sha256, SHA256.hash(Array(repeating: UInt8(ascii: "z"), count: 100)))
    }

    func testAChunkedBodyPastUploadLengthNeverLeavesTheUploadCompleteAndNotIngested() throws {
        // Three pieces: the upload ends on a piece boundary, where the offset moves mid-request (each
        // time a piece is full, a second or more after it last moved).
        let piece = UploadStore.pieceSize
        let bytes = (0..<(3 * piece)).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        let location = try create(length: bytes.count)
        let id = String(location.suffix(32))
        func chunk(_ slice: ArraySlice<UInt8>) -> [UInt8] {
            Array(String(slice.count, radix: 16).utf8) + [13, 10] + slice + [13, 10]
        }
        let raw = try RawClient(port: port, receiveTimeout: 30)
        raw.send(patchHead(location, token: token1, offset: 0, extra: "Transfer-Encoding: chunked\r\n"))
        raw.send(chunk(bytes[..<piece]))
        let store = try UploadStore(vault: vault)
        try waitUntil("piece 0 received") { FS.exists(store.piecePath(id, 0)) }
        Thread.sleep(forTimeInterval: PieceWriter.syncInterval + 0.1)
        raw.send(chunk(bytes[piece..<(2 * piece)]))
        try waitUntil("pieces 0 and 1 recorded mid-request") { try store.get(id)?.offset == Int64(2 * piece) }
        // Piece 2 ends the upload a second later; then the body goes on past it.
        Thread.sleep(forTimeInterval: PieceWriter.syncInterval + 0.1)
        raw.send(chunk(bytes[(2 * piece)...]) + chunk([1]) + Array("0\r\n\r\n".utf8))
        let answer = raw.readResponse()
        XCTAssertEqual(answer?.status, 413, answer?.text ?? "no answer")
        let kept = try XCTUnwrap(store.get(id))
        XCTAssertEqual(kept.offset, Int64(2 * piece), "the refused request did not complete the upload")
        XCTAssertEqual(try curl("HEAD", location, token: token1).headers["upload-offset"], String(2 * piece))
        // The dock resumes where HEAD says; its PATCH completes and ingests the upload.
        let rest = try file("rest", Array(bytes[(2 * piece)...]))
        let resumed = try curl("PATCH", location, token: token1,
                               headers: [octets, "Upload-Offset: \(2 * piece)", "Expect:"], body: rest)
        XCTAssertEqual(resumed.status, 204, resumed.body)
        XCTAssertEqual(try vault.catalog.find(try XCTUnwrap(resumed.headers["custody-exhibit"])).sha256,
                       SHA256.hash(bytes))
    }

    func testABadlyChunkedBodyIsTheClientsErrorAndKeepsWhatCameBefore() throws {
        let location = try create(length: 100)
        let raw = try RawClient(port: port)
        raw.send(patchHead(location, token: token1, offset: 0, extra: "Transfer-Encoding: chunked\r\n")
                 + "5\r\nhelloXX")
        let answer = raw.readResponse()
        XCTAssertEqual(answer?.status, 400, answer?.text ?? "no answer")
        XCTAssertTrue(answer?.text.contains("chunk data longer than its size") ?? false, answer?.text ?? "")
        XCTAssertEqual(try curl("HEAD", location, token: token1).headers["upload-offset"], "5")
    }

    func testAFullyReceivedUploadWhoseIngestDidNotHappenIsIngestedByHEAD() throws {
        // As after an ingest that failed: every byte durably stored, no exhibit yet.
        let store = try UploadStore(vault: vault)
        let bytes = [UInt8](repeating: 9, count: 5000)
        let upload = try receivedUpload(bytes, store: store)
        XCTAssertTrue(upload.isFinished)
        XCTAssertEqual(try curl("HEAD", upload.id, token: token2).status, 404, "still not another dock's")
        let head = try curl("HEAD", upload.id, token: token1)
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.headers["upload-offset"], "5000")
        let exhibit = try vault.catalog.find(try XCTUnwrap(head.headers["custody-exhibit"]))
        XCTAssertEqual(exhibit.sha256, SHA256.hash(bytes))
        XCTAssertEqual(try store.get(upload.id)?.state, .completed)
    }

    func testAPATCHRetriedAfterAnIngestCutShortPastMovingThePiecesFinishesIt() throws {
        let store = try UploadStore(vault: vault)
        let bytes = (0..<((4 << 20) + 1000)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let hasher = UploadHasher(pieceSize: UploadStore.pieceSize)
        let upload = try receivedUpload(bytes, store: store, hasher: hasher)
        // As after an ingest whose catalogue commit failed: both pieces (the last a short one) are
        // chunks already, and the upload is still active with every byte received.
        let (_, pieces) = hasher.finish()
        try vault.db.transaction { try store.recordPieces(upload.id, pieces, from: 0) }
        for (index, piece) in pieces.enumerated() { try vault.store.adopt(store.piecePath(upload.id, index), as: piece.digest) }
        let retried = try curl("PATCH", upload.id, token: token1, headers: [octets, "Upload-Offset: \(bytes.count)"])
        XCTAssertEqual(retried.status, 204, retried.body)
        let exhibit = try vault.catalog.find(try XCTUnwrap(retried.headers["custody-exhibit"]))
        XCTAssertEqual(exhibit.sha256, SHA256.hash(bytes))
    }

    func testARetriedPATCHOnACompletedUploadGetsAConflictNotGone() throws {
        let body = try file("hello", Array("hello".utf8))
        let done = try curl("POST", "", token: token1, headers: ["Upload-Length: 5", octets], body: body)
        XCTAssertNotNil(done.headers["custody-exhibit"])
        let location = try XCTUnwrap(done.headers["location"])
        let stale = try curl("PATCH", location, token: token1, headers: [octets, "Upload-Offset: 0"], body: body)
        XCTAssertEqual(stale.status, 409, "a PATCH whose answer was lost, sent again")
        XCTAssertTrue(stale.body.contains("must be 5"), stale.body)
        let extra = try file("extra", [1])
        let beyond = try curl("PATCH", location, token: token1, headers: [octets, "Upload-Offset: 5"], body: extra)
        XCTAssertEqual(beyond.status, 413)
        let repeated = try curl("PATCH", location, token: token1, headers: [octets, "Upload-Offset: 5"])
        XCTAssertEqual(repeated.status, 204)
        XCTAssertEqual(repeated.headers["custody-exhibit"], done.headers["custody-exhibit"])
    }

    func testAnotherDocksDeleteIsNotFoundAndLoggedEvenWhileTheUploadIsBusy() throws {
        let location = try create(length: 100)
        let raw = try RawClient(port: port)
        raw.send(patchHead(location, token: token1, offset: 0, extra: "Content-Length: 100\r\n")
                 + String(repeating: "a", count: 10))
        try waitUntil("the PATCH holds the upload") { service.metrics.value("custody_uploads_in_progress") == 1 }
        XCTAssertEqual(try curl("DELETE", location, token: token2).status, 404, "not 423: that would tell it exists")
        XCTAssertEqual(try events().filter { $0.actor == .device("dock-2") && $0.outcome == .refused }.count, 1)
        raw.send(String(repeating: "a", count: 90))
        XCTAssertEqual(raw.readResponse()?.status, 204)
    }

    func testACreationWhoseBytesAreRefusedStillSaysWhereTheUploadIs() throws {
        let body = try file("hello", Array("hello".utf8))
        let refused = try curl("POST", "", token: token1, headers: [
            "Upload-Length: 5", octets, "Upload-Checksum: sha256 \(Base64.encode(SHA256.hash([1]).bytes))"], body: body)
        XCTAssertEqual(refused.status, 460)
        let location = try XCTUnwrap(refused.headers["location"], "the dock can resume the upload it created")
        XCTAssertEqual(try curl("HEAD", location, token: token1).headers["upload-offset"], "0")
        let sent = try curl("PATCH", location, token: token1, headers: [octets, "Upload-Offset: 0"], body: body)
        XCTAssertEqual(sent.status, 204)
        XCTAssertNotNil(sent.headers["custody-exhibit"])
    }

    func testACreationWhoseBodyBreaksOffStillSaysWhereTheUploadIs() throws {
        let raw = try RawClient(port: port)
        raw.send("POST /files/ HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\nAuthorization: Bearer \(token1)\r\n"
                 + "Upload-Length: 100\r\n\(octets)\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX")
        let answer = raw.readResponse()
        XCTAssertEqual(answer?.status, 400, answer?.text ?? "no answer")
        let location = try XCTUnwrap(answer?.headers["location"], "the dock can resume the upload it created")
        XCTAssertEqual(try curl("HEAD", String(location.suffix(32)), token: token1).headers["upload-offset"], "5")
    }

    func testACreationWhoseBytesTheVaultRefusesStillSaysWhereTheUploadIs() throws {
        // The dock is revoked as its upload is created: the use case taking the bytes refuses them.
        try vault.db.execute("""
            CREATE TRIGGER revoke_on_create AFTER INSERT ON uploads
            BEGIN UPDATE devices SET revoked_at = '2026-12-07T00:00:00.000Z' WHERE name = NEW.owner; END
            """)
        let body = try file("hello", Array("hello".utf8))
        let refused = try curl("POST", "", token: token1, headers: ["Upload-Length: 5", octets], body: body)
        XCTAssertEqual(refused.status, 403, refused.body)
        XCTAssertTrue(refused.body.contains("not an active dock"), refused.body)
        XCTAssertNotNil(refused.headers["location"], "the dock is told where the upload it created is")
        let recorded = try events().filter { $0.actor == .device("dock-1") && $0.outcome == .refused }
        XCTAssertEqual(recorded.map(\.reason), ["device dock-1 is not an active dock"], "recorded once, by the vault")
    }

    func testHeadersAreReadAsHTTPSaysAndBadTokensAreLoggedWhateverElseIsWrong() throws {
        let location = try create(length: 5)
        XCTAssertEqual(try curl("HEAD", location, token: nil, headers: ["Authorization: bearer \(token1)"]).status, 200,
                       "the auth scheme is case-insensitive")
        let body = try file("hello", Array("hello".utf8))
        let patched = try curl("PATCH", location, token: token1, headers: [
            "Content-Type: Application/Offset+Octet-Stream; charset=binary", "Upload-Offset: 0"], body: body)
        XCTAssertEqual(patched.status, 204, patched.body)
        let before = try events().filter { $0.outcome == .refused }.count
        XCTAssertEqual(try curl("HEAD", location, token: "wrong", tusVersion: nil).status, 401)
        XCTAssertEqual(try events().filter { $0.outcome == .refused }.count, before + 1)
        let twice = "Upload-Metadata: filename \(Base64.encode(Array("a.mp4".utf8))),"
            + "filename \(Base64.encode(Array("b.mp4".utf8)))"
        XCTAssertEqual(try curl("POST", "", token: token1, headers: ["Upload-Length: 5", twice]).status, 400,
                       "a key named twice")
        let c1 = metadata(["filename": "a\u{85}b.mp4"])
        XCTAssertEqual(try curl("POST", "", token: token1, headers: ["Upload-Length: 5", c1]).status, 400,
                       "a C1 control character")
    }
}

/// Expiry as a dock sees it between the sweeper's rounds, and a slow PATCH the sweeper must leave
/// alone; on a clock the test moves, the sweeper running only when the test says.
final class TusExpiryRaceTests: TusTestCase {
    let clock = ManualClock()

    override func configure(_ c: inout ServiceConfiguration) {
        c.clock = clock.clock
        c.uploadTTL = 1
        c.sweepInterval = 3600
    }

    func testASlowPATCHPastItsUploadsExpiryIsNotSweptFromUnderIt() throws {
        let first = try file("first", Array(repeating: UInt8(ascii: "s"), count: 10))
        let created = try curl("POST", "", token: token1, headers: ["Upload-Length: 100", octets], body: first)
        let location = try XCTUnwrap(created.headers["location"])
        let id = String(location.suffix(32))
        let raw = try RawClient(port: port, receiveTimeout: 10)
        raw.send(patchHead(location, token: token1, offset: 10, extra: "Content-Length: 90\r\n")
                 + String(repeating: "s", count: 10))
        // The PATCH takes the upload's hasher once it is past its expiry checks, to append.
        try waitUntil("the PATCH receives its body") { !service.tus.hashers.isKept(id) }
        clock.advance(by: 3600)  // far past the 1 s expiry
        XCTAssertEqual(try UploadStore(vault: vault, clock: clock.clock).expiredUploads().map(\.id), [id],
                       "the sweeper's candidate")
        for _ in 0..<3 { service.sweepNow() }
        raw.send(String(repeating: "s", count: 80))
        let answer = raw.readResponse()
        XCTAssertEqual(answer?.status, 204, answer?.text ?? "no answer")
        XCTAssertNotNil(answer?.headers["custody-exhibit"])
        XCTAssertFalse(try events().contains { $0.reason?.contains("expired") ?? false })
    }

    func testTheSweeperIngestsAFullyReceivedUploadNoOneAsksAbout() throws {
        let store = try UploadStore(vault: vault)
        let upload = try receivedUpload([1, 2, 3], store: store)
        service.sweepNow()
        XCTAssertEqual(try store.get(upload.id)?.state, .completed, "the sweeper's ingest")
        XCTAssertEqual(try vault.catalog.all().map(\.sha256), [SHA256.hash([1, 2, 3])])
    }

    func testTheSweeperTriesAFailedIngestAgainOnlyAfterItsBackoff() throws {
        let store = try UploadStore(vault: vault)
        let upload = try receivedUpload([1, 2, 3], store: store)
        let piece = store.piecePath(upload.id, 0)
        try FS.rename(piece, piece + ".away")  // the ingest cannot read the recording
        service.sweepNow()
        XCTAssertEqual(try store.get(upload.id)?.state, .active, "the ingest failed")
        try FS.rename(piece + ".away", piece)
        clock.advance(by: 59)
        service.sweepNow()
        XCTAssertEqual(try store.get(upload.id)?.state, .active, "not tried again within a minute")
        clock.advance(by: 1)
        service.sweepNow()
        XCTAssertEqual(try store.get(upload.id)?.state, .completed, "tried again after a minute")
    }
}

final class TusLateSweepTests: TusTestCase {
    let clock = ManualClock()

    override func configure(_ c: inout ServiceConfiguration) {
        c.clock = clock.clock
        c.uploadTTL = 1
        c.sweepInterval = 3600
    }

    func testAnUploadPastItsExpiryIsGoneBeforeTheSweeperComes() throws {
        let created = try curl("POST", "", token: token1, headers: ["Upload-Length: 100"])
        let location = try XCTUnwrap(created.headers["location"])
        XCTAssertEqual(try curl("HEAD", location, token: token1).status, 200)
        clock.advance(by: 2)  // past the 1 s expiry
        XCTAssertEqual(try curl("HEAD", location, token: token1).status, 410)
        let body = try file("x", [1, 2, 3])
        XCTAssertEqual(try curl("PATCH", location, token: token1, headers: [
            "Content-Type: application/offset+octet-stream", "Upload-Offset: 0"], body: body).status, 410)
        XCTAssertEqual(try UploadStore(vault: vault).get(String(location.suffix(32)))?.state, .active,
                       "the sweeper has not come")
    }
}
