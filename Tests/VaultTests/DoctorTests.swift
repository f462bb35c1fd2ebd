import CustodyCore
import Foundation
import TestSupport
import XCTest
@testable import Vault

/// `Doctor.diagnose` on a real vault: each check can pass, and each fails for what it is about.
final class DoctorTests: XCTestCase {
    var dir: TemporaryDirectory!
    var directory: DataDirectory!

    override func setUpWithError() throws {
        dir = TemporaryDirectory("custody-doctor")
        directory = DataDirectory(root: dir.file("data"))
        _ = try Vault.initialize(directory, org: "test", actor: .officer("PC-1"))
    }

    override func tearDown() { dir?.remove() }

    func finding(_ check: String, _ findings: [DoctorFinding]) throws -> DoctorFinding {
        try XCTUnwrap(findings.first { $0.check == check }, "\(findings)")
    }

    func testAHealthyVaultPassesEveryCheck() throws {
        let findings = Doctor.diagnose(directory)
        XCTAssertEqual(findings.map(\.check), ["permissions", "disk", "schema", "catalog", "ledger", "clock"])
        // The disk's state is this machine's, not the vault's: only its report is checked.
        XCTAssertEqual(findings.filter { $0.level != .ok && $0.check != "disk" }, [])
        XCTAssertTrue(try finding("disk", findings).detail.contains(" GiB free of "), "\(findings)")
        XCTAssertTrue(try finding("ledger", findings).detail.hasSuffix(" checkpoints match"), "\(findings)")
    }

    func testAKeyOrFolderOthersCanReadIsAProblemNamingTheFix() throws {
        chmod(directory.linkSecret, 0o640)
        chmod(directory.chunks, 0o755)
        let permissions = try finding("permissions", Doctor.diagnose(directory))
        XCTAssertEqual(permissions.level, .problem)
        XCTAssertTrue(permissions.detail.contains("\(directory.linkSecret) is mode 640"), permissions.detail)
        XCTAssertTrue(permissions.detail.contains("\(directory.chunks) is mode 755"), permissions.detail)
        XCTAssertEqual(permissions.fix, "chmod 700 \(directory.chunks); chmod 600 \(directory.linkSecret)")
    }

    func testAClockBehindTheNewestEventIsAProblem() throws {
        let anHourAgo = Date().addingTimeInterval(-3600)
        let clock = try finding("clock", Doctor.diagnose(directory, now: anHourAgo))
        XCTAssertEqual(clock.level, .problem)
        XCTAssertTrue(clock.detail.contains("s ahead of this clock"), clock.detail)
        XCTAssertEqual(try finding("clock", Doctor.diagnose(directory)).level, .ok)
    }

    func testATamperedEventIsALedgerProblem() throws {
        let vault = try Vault(directory: directory)
        try vault.db.execute("DROP TRIGGER IF EXISTS events_no_update")
        try vault.db.execute("UPDATE events SET actor = 'someone-else'")
        let ledger = try finding("ledger", Doctor.diagnose(directory))
        XCTAssertEqual(ledger.level, .problem, ledger.detail)
    }

    func testTheCertificateIsLoadedWithItsKeyAndItsExpiryWatched() throws {
        let tls = try TLSFixture(days: 30)
        defer { tls.directory.remove() }
        let (cert, key) = (tls.certificate, tls.key)
        let now = Date()
        XCTAssertEqual(try finding("tls", Doctor.diagnose(directory, tlsCertificate: cert, tlsKey: key, now: now)).level,
                       .ok)
        let soon = try finding("tls", Doctor.diagnose(directory, tlsCertificate: cert, tlsKey: key,
                                                      now: now.addingTimeInterval(20 * 86_400)))
        XCTAssertEqual(soon.level, .warning)
        XCTAssertTrue(soon.detail.contains("expires in 9 days") || soon.detail.contains("expires in 10 days"), soon.detail)
        let expired = try finding("tls", Doctor.diagnose(directory, tlsCertificate: cert, tlsKey: key,
                                                         now: now.addingTimeInterval(31 * 86_400)))
        XCTAssertEqual(expired.level, .problem)
        XCTAssertTrue(expired.detail.contains("expired at"), expired.detail)
        chmod(key, 0o644)
        XCTAssertEqual(try finding("tls", Doctor.diagnose(directory, tlsCertificate: cert, tlsKey: key)).level, .problem)
    }
}
