import CustodyCore
import Foundation
import Storage
import TestSupport
import XCTest

/// A store opened on first use: nothing is asked until a chunk is needed, a failed open is not asked again
/// for a while (each call throws it), and once open the same store serves every call.
final class DeferredChunkStoreTests: XCTestCase {
    struct Down: Error {}

    func testOpensOnFirstUseAndRemembersAFailureForAWhile() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var opens = 0
        var reachable = false
        let deferred = DeferredChunkStore(retryAfter: 3600) {
            opens += 1
            guard reachable else { throw Down() }
            return try FileChunkStore(root: dir.file("chunks"))
        }
        XCTAssertEqual(opens, 0, "nothing is opened before a chunk is needed")
        let digest = SHA256Digest(bytes: [UInt8](repeating: 7, count: 32))
        for _ in 0..<5 { XCTAssertThrowsError(try deferred.exists(digest)) { XCTAssertTrue($0 is Down) } }
        XCTAssertEqual(opens, 1, "a failed open is thrown again without asking for retryAfter seconds")
        XCTAssertEqual(deferred.takeRepaired(), [], "takeRepaired never opens")
        XCTAssertEqual(opens, 1)

        reachable = true
        let later = DeferredChunkStore(retryAfter: 0) {
            opens += 1
            guard reachable else { throw Down() }
            return try FileChunkStore(root: dir.file("chunks"))
        }
        XCTAssertFalse(try later.exists(digest))
        XCTAssertFalse(try later.exists(digest))
        XCTAssertEqual(opens, 2, "opened once, then the same store serves every call")
    }
}
