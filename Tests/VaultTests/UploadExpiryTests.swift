import CustodyCore
import Foundation
import Ledger
import TestSupport
import XCTest
@testable import Uploads
@testable import Vault

/// Expiry as the upload store reckons it, on a clock the test moves.
final class UploadExpiryTests: XCTestCase {
    var dir: TemporaryDirectory!
    var vault: Vault!
    let clock = ManualClock()
    var store: UploadStore!

    override func setUpWithError() throws {
        dir = TemporaryDirectory()
        vault = try Vault.initialize(DataDirectory(root: dir.file("data")), org: "t", actor: .officer("PC-1")).0
        store = try UploadStore(vault: vault, clock: clock.clock)
    }

    override func tearDown() {
        store = nil
        vault = nil
        dir?.remove()
    }

    func testAnUploadExpiresTTLSecondsAfterItsLastBytesAndNotASecondBefore() throws {
        let start = clock.now
        var upload = try store.create(owner: "dock", length: 10, metadata: UploadMetadata(), ttl: 3600)
        XCTAssertEqual(upload.expiresAt, start + 3600)
        clock.advance(by: 1800)
        var sent = false
        upload = try store.append(upload, checksum: nil, ttl: 3600, hasher: UploadHasher()) { buffer in
            if sent { return 0 }  // the end of the body
            sent = true
            buffer[0] = 7
            return 1
        }
        XCTAssertEqual(upload.offset, 1)
        XCTAssertEqual(upload.expiresAt, start + 1800 + 3600, "bytes move the expiry on")
        XCTAssertEqual(try store.get(upload.id)?.expiresAt, upload.expiresAt)

        clock.advance(by: Double(upload.expiresAt - 1 - clock.now))
        XCTAssertFalse(upload.isPastExpiry(at: clock.now))
        XCTAssertTrue(try store.expiredUploads().isEmpty, "a second before its expiry")
        XCTAssertNil(try store.expire(upload.id))
        XCTAssertTrue(FileManager.default.fileExists(atPath: store.dataPath(upload.id)))

        clock.advance(by: 1)
        XCTAssertTrue(try store.expiredUploads().isEmpty, "Upload-Expires names the last second it is kept")
        XCTAssertNil(try store.expire(upload.id))

        clock.advance(by: 1)
        XCTAssertEqual(try store.expiredUploads().map(\.id), [upload.id])
        let expired = try XCTUnwrap(try store.expire(upload.id))
        XCTAssertEqual(expired.state, .expired)
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.dataPath(upload.id)), "its bytes are removed")
        let event = try XCTUnwrap(try vault.events.events().last)
        XCTAssertEqual(event.outcome, .failed)
        XCTAssertEqual(event.details["upload"], upload.id)
        XCTAssertTrue(event.reason?.contains("expired") ?? false)
        XCTAssertNil(try store.expire(upload.id), "expired once")
    }
}
