import Crypto
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
        XCTAssertEqual(findings.map(\.check), ["permissions", "disk", "schema", "keys", "catalog", "ledger", "clock",
                                                  "chunk store"])
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

    /// ledger.pub must be ledger.key's public key: swapped for another key, or missing, it is a problem
    /// whose fix follows from the key that signed the newest checkpoint.
    func testALedgerPublicKeyThatIsNotTheSigningKeysIsAProblem() throws {
        let stranger = try Ed25519Key.generate()
        let original = try String(contentsOfFile: directory.ledgerPublicKey, encoding: .utf8)
        try stranger.publicKeyPEM().write(toFile: directory.ledgerPublicKey, atomically: true, encoding: .utf8)
        let swapped = try finding("keys", Doctor.diagnose(directory))
        XCTAssertEqual(swapped.level, .problem)
        XCTAssertEqual(swapped.detail,
                       "\(directory.ledgerPublicKey) is not the public key of \(directory.ledgerPrivateKey)")
        XCTAssertEqual(swapped.fix, "the newest checkpoint was signed with \(directory.ledgerPrivateKey): move "
                       + "\(directory.ledgerPublicKey) aside (mv \(directory.ledgerPublicKey) "
                       + "\(directory.ledgerPublicKey).wrong), then custody init --data \(directory.root) derives "
                       + "\(directory.ledgerPublicKey) again from \(directory.ledgerPrivateKey)")

        try FileManager.default.removeItem(atPath: directory.ledgerPublicKey)
        let missing = try finding("keys", Doctor.diagnose(directory))
        XCTAssertEqual(missing.level, .problem)
        XCTAssertEqual(missing.detail, "\(directory.ledgerPublicKey) is missing")
        XCTAssertEqual(missing.fix, "custody init --data \(directory.root) derives \(directory.ledgerPublicKey) again "
                       + "from \(directory.ledgerPrivateKey)")

        // The other way round: a private key that did not sign the ledger beside the right public key.
        try original.write(toFile: directory.ledgerPublicKey, atomically: true, encoding: .utf8)
        XCTAssertEqual(try finding("keys", Doctor.diagnose(directory)).level, .ok)
        try stranger.privateKeyPEM().write(toFile: directory.ledgerPrivateKey, atomically: true, encoding: .utf8)
        chmod(directory.ledgerPrivateKey, 0o600)
        let wrongPrivate = try finding("keys", Doctor.diagnose(directory))
        XCTAssertEqual(wrongPrivate.level, .problem)
        XCTAssertEqual(wrongPrivate.fix, "\(directory.ledgerPrivateKey) did not sign the newest checkpoint: restore "
                       + "\(directory.keys) from a backup")
    }
}
