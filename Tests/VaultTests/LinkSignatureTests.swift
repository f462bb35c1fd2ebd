import Crypto
import CustodyCore
import TestSupport
import Vault
import XCTest

final class LinkSignatureTests: XCTestCase {
    func testALinkVerifiesAndAnyChangeBreaksIt() throws {
        let dir = TemporaryDirectory()
        let (vault, _) = try Vault.initialize(DataDirectory(root: dir.path + "/v"), org: "t", actor: .officer("PC-1"))
        var mode = stat()
        XCTAssertEqual(stat(vault.directory.linkSecret, &mode), 0)
        XCTAssertEqual(mode.st_mode & 0o777, 0o600)
        let query = try vault.linkQuery(bundle: "BN-000001", recipient: "clerk@cps.gov.uk", expires: 1_900_000_000)
        let parts = Dictionary(uniqueKeysWithValues: query.split(separator: "&").map {
            let kv = $0.split(separator: "=", maxSplits: 1)
            return (String(kv[0]), String(kv[1]))
        })
        let sig = try XCTUnwrap(parts["sig"])
        XCTAssertEqual(parts["exp"], "1900000000")
        XCTAssertTrue(try vault.isGenuineLink(bundle: "BN-000001", recipient: "clerk@cps.gov.uk",
                                              expires: "1900000000", sig: sig))
        XCTAssertFalse(try vault.isGenuineLink(bundle: "BN-000002", recipient: "clerk@cps.gov.uk",
                                               expires: "1900000000", sig: sig))
        XCTAssertFalse(try vault.isGenuineLink(bundle: "BN-000001", recipient: "other@cps.gov.uk",
                                               expires: "1900000000", sig: sig))
        XCTAssertFalse(try vault.isGenuineLink(bundle: "BN-000001", recipient: "clerk@cps.gov.uk",
                                               expires: "1900000001", sig: sig))
        // The first character changed, not the last: the last base64url character of 32 bytes carries
        // two unused bits, so some changes to it decode to the same MAC.
        let altered = (sig.first == "A" ? "B" : "A") + sig.dropFirst()
        XCTAssertFalse(try vault.isGenuineLink(bundle: "BN-000001", recipient: "clerk@cps.gov.uk",
                                               expires: "1900000000", sig: altered))
        XCTAssertFalse(try vault.isGenuineLink(bundle: "BN-000001", recipient: "clerk@cps.gov.uk",
                                               expires: "1900000000", sig: "not base64!"))
        // A new secret voids the link.
        try FileManager.default.removeItem(atPath: vault.directory.linkSecret)
        _ = try vault.directory.create()
        XCTAssertFalse(try vault.isGenuineLink(bundle: "BN-000001", recipient: "clerk@cps.gov.uk",
                                               expires: "1900000000", sig: sig))
        // A secret others can read is refused.
        chmod(vault.directory.linkSecret, 0o644)
        XCTAssertThrowsError(try vault.linkQuery(bundle: "BN-000001", recipient: "x", expires: 1))
    }
}
