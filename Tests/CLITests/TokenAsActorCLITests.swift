import Foundation
import TestSupport
import XCTest

/// A personal token given where an officer ID goes is refused as malformed: never recorded nor printed.
final class TokenAsActorCLITests: CLITestCase {
    /// An officer who sets CUSTODY_ACTOR (or gives --as) their token, not their ID, must not have the token
    /// written into the append-only ledger (read by auditors, in reports) nor echoed on stderr; the refused
    /// attempt is still recorded.
    func testATokenGivenAsTheActingOfficerIsNeitherRecordedNorPrinted() throws {
        let token = try addOfficer("PC-8", role: "officer")
        for r in [try custody(["list"], actor: token), try custody(["list", "--as", token], actor: nil)] {
            XCTAssertEqual(r.status, 2, r.stderr)
            XCTAssertFalse(r.stderr.contains(token), r.stderr)
        }
        let ledger = try custody(["ledger", "log", "--json"])
        XCTAssertEqual(ledger.status, 0, ledger.stderr)
        XCTAssertFalse(ledger.stdout.contains(token), "the token is in the ledger")
        let refused = try refusedEvents()
        XCTAssertEqual(refused.count, 2, refused.joined(separator: "\n"))
        XCTAssertFalse(refused.joined().contains(token), refused.joined(separator: "\n"))
    }
}
