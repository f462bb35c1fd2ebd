import Catalog
import CustodyCore
import SQLite
import TestSupport
import XCTest
@testable import Vault

final class DeviceRegistryTests: XCTestCase {
    func testTokensAuthenticateUntilRevokedAndAreStoredOnlyHashed() throws {
        let dir = TemporaryDirectory()
        let vault = try Vault.initialize(DataDirectory(root: dir.file("d")), org: nil, actor: .officer("PC-1")).0
        let token = try vault.addDevice("dock-7", by: .officer("PC-1"))
        let other = try vault.addDevice("dock-8", by: .officer("PC-1"))
        XCTAssertTrue(token.hasPrefix("cdt_"))
        XCTAssertNotEqual(token, other)
        XCTAssertEqual(try vault.authenticate(token: token), "dock-7")
        XCTAssertEqual(try vault.authenticate(token: other), "dock-8")
        XCTAssertNil(try vault.authenticate(token: token + "x"))
        XCTAssertNil(try vault.authenticate(token: ""))
        XCTAssertNil(try vault.authenticate(token: String(repeating: "a", count: 10_000)))

        // The database file never holds the token itself.
        let raw = try Data(contentsOf: URL(fileURLWithPath: vault.directory.database))
            + ((try? Data(contentsOf: URL(fileURLWithPath: vault.directory.database + "-wal"))) ?? Data())
        XCTAssertNil(raw.range(of: Data(token.utf8)))

        XCTAssertThrowsError(try vault.addDevice("dock-7", by: .officer("PC-1")))
        XCTAssertThrowsError(try vault.addDevice("../etc", by: .officer("PC-1")))
        try vault.revokeDevice("dock-7", by: .officer("PC-1"))
        XCTAssertNil(try vault.authenticate(token: token))
        XCTAssertEqual(try vault.authenticate(token: other), "dock-8")
        XCTAssertThrowsError(try vault.revokeDevice("dock-7", by: .officer("PC-1")))
        XCTAssertEqual(try vault.devices(for: .officer("PC-1")).map(\.isActive), [false, true])
        XCTAssertThrowsError(try vault.addDevice("Unauthenticated", by: .officer("PC-1")),
                             "the actor of refused attempts is no dock's name")
        let device = try vault.events.events().filter { $0.action == .device }
        XCTAssertEqual(device.filter { $0.outcome == .ok }.count, 3)
        XCTAssertEqual(device.filter { $0.outcome == .refused }.map { $0.details["change"] },
                       ["add", "add", "revoke", "add"], "each refused attempt is recorded")
    }
}
