import Crypto
import CustodyCore
import Foundation
import Ledger
import TestSupport
import XCTest
@testable import Vault

/// `rotateLedgerKey`: a new pair signs from then on, every checkpoint the old key signed still
/// verifies (stored, and kept outside), the old private key is gone, and only a supervisor may.
final class KeyRotationTests: XCTestCase {
    var dir: TemporaryDirectory!
    var vault: Vault!
    let supervisor = Actor.officer("SUP-1")

    override func setUpWithError() throws {
        dir = TemporaryDirectory("custody-rotation")
        vault = try Vault.initialize(DataDirectory(root: dir.file("data")), org: "test", actor: supervisor).0
        _ = try vault.addOfficer(supervisor.id, name: "A Supervisor", role: .supervisor, by: .system)
        _ = try vault.addOfficer("EO-1", name: "An Evidence Officer", role: .evidenceOfficer, by: supervisor)
    }

    override func tearDown() {
        vault = nil
        dir?.remove()
    }

    func signatureKeyID(_ note: String) throws -> String {
        let line = try XCTUnwrap(note.split(separator: "\n").last)
        return Hex.encode(Array(try XCTUnwrap(Base64.decode(String(line.split(separator: " ")[2]))).prefix(4)))
    }

    func testTheOldKeysCheckpointsStillVerifyAndTheNewKeySignsFromNowOn() throws {
        let before = try XCTUnwrap(try vault.checkpoint() ?? vault.events.latestCheckpoint())
        let oldVerifier = try vault.noteVerifier()
        let oldPrivate = try String(contentsOfFile: vault.directory.ledgerPrivateKey, encoding: .utf8)
        XCTAssertThrowsError(try vault.rotateLedgerKey(reason: "test", by: .officer("EO-1"), now: 1),
                             "an evidence officer may not")
        XCTAssertEqual(try vault.noteVerifier().vkey, oldVerifier.vkey, "nothing changed")

        let vkey = try vault.rotateLedgerKey(reason: "annual rotation", by: supervisor, now: 1_800_000_000)
        XCTAssertNotEqual(vkey, oldVerifier.vkey)
        let rotation = try XCTUnwrap(try vault.events.events().last { $0.action == .key })
        XCTAssertEqual(rotation.details["retired_key_id"], Hex.encode(oldVerifier.keyID))
        // The rotation's own event is covered by a checkpoint the old key signed.
        let last = try XCTUnwrap(try vault.events.latestCheckpoint())
        XCTAssertEqual(try signatureKeyID(last.note), Hex.encode(oldVerifier.keyID))
        XCTAssertEqual(last.size, UInt64(try vault.events.count()))
        XCTAssertNotEqual(try String(contentsOfFile: vault.directory.ledgerPrivateKey, encoding: .utf8), oldPrivate)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: vault.directory.retiredKeys),
                       ["ledger-1800000000.pub"])

        try vault.record(CustodyEvent(actor: supervisor, action: .verify))
        let after = try XCTUnwrap(try vault.checkpoint())
        let verifier = try vault.noteVerifier()
        XCTAssertEqual(try signatureKeyID(after.note), Hex.encode(verifier.keyID), "the new key signs")
        XCTAssertEqual(verifier.retiredVkeys, [oldVerifier.vkey])
        XCTAssertNoThrow(try Checkpoint.open(before.note, verifier: verifier))
        XCTAssertThrowsError(try Checkpoint.open(after.note, verifier: oldVerifier), "the old key alone cannot")
        let report = try vault.verifyLedger(external: [(label: "kept before", note: before.note)], for: supervisor)
        XCTAssertTrue(report.isIntact, "\(report.problems)")
        XCTAssertEqual(report.checkpointsChecked, try vault.events.checkpoints().count)

        // A second rotation keeps both earlier keys.
        try vault.rotateLedgerKey(reason: "again", by: supervisor, now: 1_800_000_000)
        XCTAssertEqual(try vault.noteVerifier().retiredVkeys, [oldVerifier.vkey, verifier.vkey])
        XCTAssertTrue(try vault.verifyLedger(external: [], for: supervisor).isIntact)

        // A backup holds the retired keys: the restored ledger verifies, the kept checkpoint too.
        _ = try vault.backup(to: dir.file("backup"), by: .system)
        let restored = try Vault.restoreBackup(from: dir.file("backup"), into: DataDirectory(root: dir.file("restored")))
        XCTAssertEqual(try restored.noteVerifier().retiredVkeys, [oldVerifier.vkey, verifier.vkey])
        let again = try restored.verifyLedger(external: [(label: "kept before", note: before.note)], for: supervisor)
        XCTAssertTrue(again.isIntact, "\(again.problems)")
    }
}
