import CustodyCore
import HTTPServer
import XCTest
@testable import Service

/// Domain errors become HTTP answers in one place: what the dock can act on is a refusal with its
/// status and the error's message; the server's own failures are no refusal (500, logged).
final class ErrorStatusTests: XCTestCase {
    func testEachKindHasItsStatus() {
        let cases: [(CustodyError, Int?)] = [
            (.invalidInput(field: "metadata", "Upload-Metadata is malformed"), 400),
            (.notFound(.other, "no such thing"), 404),
            (.refused("device dock-1 is not an active dock"), 403),
            (.conflict(.device, "taken"), 409),
            (.diskFull("the vault's disk is full"), 507),
            (.integrity("upload x lost piece 0"), nil),
            (.failure("the database is locked"), nil),
            (.missing(.ledgerPublicKey, "cannot read the ledger public key"), nil),
        ]
        for (error, status) in cases {
            let refusal = Tus.refusal(error)
            XCTAssertEqual(refusal?.status.code, status, "\(error.kind)")
        }
        XCTAssertEqual(Tus.refusal(.invalidInput(field: "metadata", "m"))?.reason, "bad_metadata",
                       "the metric label the metadata refusals always had")
        XCTAssertEqual(Tus.refusal(.invalidInput(field: "metadata", "m"))?.message, "m")
        XCTAssertEqual(Tus.refusal(.refused("r", recorded: true))?.recorded, true, "recorded by the vault")
        XCTAssertEqual(Tus.refusal(.refused("r"))?.recorded, false,
                       "not in the ledger: the service records it within the dock's budget, or logs that it cannot")
        XCTAssertEqual(Tus.refusal(.diskFull("the vault's disk is full while storing /x"))?.message,
                       "the evidence server's disk is full; retry later", "no path of the server is shown to a dock")
    }
}
