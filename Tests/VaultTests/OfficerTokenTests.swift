import CustodyCore
import TestSupport
import XCTest
@testable import Vault

/// Officers' personal tokens: a token names its officer until a new one is issued or the officer is
/// disabled; the vault's first supervisor is registered at init.
final class OfficerTokenTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func tearDown() { dir?.remove() }

    func testATokenWorksUntilReplacedOrTheOfficerIsDisabled() throws {
        dir = TemporaryDirectory("officer-tokens")
        let done = try Vault.initialization(DataDirectory(root: dir.file("data")), org: "t", actor: .officer("sgt.1"))
        let vault = done.vault
        let first = try XCTUnwrap(done.supervisorToken)
        XCTAssertEqual(try vault.authenticateOfficer(token: first)?.id, "sgt.1")
        XCTAssertEqual(try vault.authenticateOfficer(token: first)?.role, .supervisor)
        XCTAssertNil(try Vault.initialization(vault.directory, org: nil, actor: .officer("sgt.2")).supervisorToken,
                     "only while no officer is registered")

        let token = try vault.addOfficer("PC-2", name: "Jo", role: .evidenceOfficer, by: .officer("sgt.1"))
        XCTAssertEqual(try vault.authenticateOfficer(token: token)?.id, "PC-2")
        let renewed = try vault.newOfficerToken("PC-2", by: .officer("sgt.1"))
        XCTAssertNil(try vault.authenticateOfficer(token: token), "the old token stops working")
        XCTAssertEqual(try vault.authenticateOfficer(token: renewed)?.id, "PC-2")
        try vault.disableOfficer("PC-2", by: .officer("sgt.1"))
        XCTAssertNil(try vault.authenticateOfficer(token: renewed), "a disabled officer's token is refused")
        XCTAssertNil(try vault.authenticateOfficer(token: "cdt_" + renewed.dropFirst(4)),
                     "a dock token is no officer's")
        XCTAssertEqual(try vault.authenticateOfficer(token: first)?.id, "sgt.1")

        let changes = try vault.events.events().filter { $0.action == .officer }.map {
            "\($0.actor) \($0.details["officer"] ?? "") \($0.details["change"] ?? "") \($0.details["role"] ?? "-")"
        }
        XCTAssertEqual(changes, ["system:custody sgt.1 added supervisor", "officer:sgt.1 PC-2 added evidence-officer",
                                 "officer:sgt.1 PC-2 token -", "officer:sgt.1 PC-2 disabled -"])
        XCTAssertFalse(try vault.events.events().contains { event in
            event.details.values.contains { $0.contains(token) || $0.contains(renewed) || $0.contains(first) }
        }, "no token in the ledger")
    }
}
