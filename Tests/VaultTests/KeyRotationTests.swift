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
        // `initialize` registered the supervisor it was run as.
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
        XCTAssertEqual(try vault.directory.retiredLedgerKeys().map(\.lastCheckpointSize), [last.size])

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

    /// Rotates the key and returns the retired private key (kept here as a thief would have kept it) and
    /// the size of the last checkpoint it signed.
    func rotateKeepingTheOldKey() throws -> (key: Ed25519Key, lastSize: UInt64) {
        let oldKey = try vault.directory.loadLedgerKey()
        try vault.rotateLedgerKey(reason: "test", by: supervisor, now: 1_800_000_000)
        let last = try XCTUnwrap(try vault.events.checkpoints().last {
            NoteVerifier.signatureKeyIDs($0.note).contains(try NoteVerifier(name: vault.ledgerOrigin(),
                                                                              publicKey: oldKey.publicBytes()).keyID)
        })
        for _ in 0..<3 { try vault.record(CustodyEvent(actor: supervisor, action: .verify)) }
        try vault.checkpoint()
        return (oldKey, last.size)
    }

    func testACheckpointLargerThanTheRetiredKeysLastIsRefused() throws {
        let (oldKey, lastSize) = try rotateKeepingTheOldKey()
        let record = try XCTUnwrap(try vault.directory.retiredLedgerKeys().first)
        XCTAssertEqual(record.lastCheckpointSize, lastSize)
        // The record is the PEM openssl reads as it is, with the size above it.
        let text = try String(contentsOfFile: record.path, encoding: .utf8)
        XCTAssertTrue(text.contains("\nLast-Checkpoint-Size: \(lastSize)\n-----BEGIN PUBLIC KEY-----\n"), text)
        let openssl = try runProcess("/usr/bin/openssl", ["pkey", "-pubin", "-in", record.path, "-outform", "DER"])
        XCTAssertEqual(openssl.status, 0, openssl.stderr)

        // Signed with the retired private key over the real log, one event past its last checkpoint: forged.
        let signer = try NoteSigner(name: vault.ledgerOrigin(), key: oldKey)
        let forged = try Checkpoint.sign(size: lastSize + 1, root: vault.events.root(size: lastSize + 1),
                                         signer: signer)
        XCTAssertThrowsError(try Checkpoint.open(forged.note, verifier: vault.noteVerifier())) { error in
            XCTAssertTrue("\(error)".contains("the checkpoint of \(lastSize + 1) events is signed by the retired key"),
                          "\(error)")
            XCTAssertTrue("\(error)".contains("covered \(lastSize) events"), "\(error)")
        }
        let report = try vault.verifyLedger(external: [(label: "forged", note: forged.note)], for: supervisor)
        XCTAssertFalse(report.isIntact)
        XCTAssertTrue(report.problems.joined().contains("signed by the retired key"), "\(report.problems)")
        // Up to its last size it still verifies: the genuine checkpoint, and one of a size it had reached.
        let earlier = try Checkpoint.sign(size: lastSize, root: vault.events.root(size: lastSize), signer: signer)
        XCTAssertEqual(try Checkpoint.open(earlier.note, verifier: vault.noteVerifier()).size, lastSize)
        XCTAssertTrue(try vault.verifyLedger(external: [(label: "earlier", note: earlier.note)], for: supervisor)
            .isIntact)
    }

    /// A record retired by the previous version (the PEM alone) still verifies what its key signed, at any
    /// size (README: *Replacing keys*); doctor warns, naming the size to record.
    func testARetiredKeyRecordedWithoutASizeStaysReadable() throws {
        let (oldKey, lastSize) = try rotateKeepingTheOldKey()
        let record = try XCTUnwrap(try vault.directory.retiredLedgerKeys().first)
        try oldKey.publicKeyPEM().write(toFile: record.path, atomically: true, encoding: .utf8)
        let verifier = try vault.noteVerifier()
        XCTAssertEqual(verifier.retired.map(\.lastCheckpointSize), [nil])
        XCTAssertEqual(verifier.publishedKeyLines, [verifier.vkey] + verifier.retiredVkeys)
        XCTAssertTrue(try vault.verifyLedger(external: [], for: supervisor).isIntact)
        let signer = try NoteSigner(name: vault.ledgerOrigin(), key: oldKey)
        let larger = try Checkpoint.sign(size: lastSize + 1, root: vault.events.root(size: lastSize + 1),
                                         signer: signer)
        XCTAssertNoThrow(try Checkpoint.open(larger.note, verifier: verifier))
        let warning = try XCTUnwrap(Doctor.diagnose(vault.directory).first { $0.check == "retired keys" })
        XCTAssertEqual(warning.level, .warning)
        XCTAssertTrue(warning.detail.contains(record.path), warning.detail)
        XCTAssertEqual(warning.fix, "add the line `Last-Checkpoint-Size: \(lastSize)` above -----BEGIN in "
                       + "\(record.path) (the size of the last stored checkpoint it signed)")
        // Recorded as doctor says, the limit holds again.
        try ("Last-Checkpoint-Size: \(lastSize)\n" + oldKey.publicKeyPEM())
            .write(toFile: record.path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Checkpoint.open(larger.note, verifier: vault.noteVerifier()))
        XCTAssertNil(Doctor.diagnose(vault.directory).first { $0.check == "retired keys" })
        // A size that is no number is an error naming the file, never no limit.
        try ("Last-Checkpoint-Size: many\n" + oldKey.publicKeyPEM())
            .write(toFile: record.path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try vault.noteVerifier()) { XCTAssertTrue("\($0)".contains(record.path), "\($0)") }
    }

    /// The backup's keys must verify its snapshot: a key that signed a checkpoint and is not among them
    /// fails the backup, naming the key ID, after copying again.
    func testBackupKeysThatCannotVerifyTheSnapshotFailTheBackup() throws {
        let folder = dir.file("backup")
        for sub in ["", "/keys", "/keys/retired"] { try FileManager.default.createDirectory(
            atPath: folder + sub, withIntermediateDirectories: true) }
        let stranger = try NoteVerifier(name: vault.ledgerOrigin(), publicKey: Ed25519Key.generate().publicBytes())
        let current = try vault.noteVerifier()
        XCTAssertNoThrow(try vault.copyKeys(into: folder, covering: [current.keyID]))
        XCTAssertThrowsError(try vault.copyKeys(into: folder, covering: [current.keyID, stranger.keyID])) { error in
            XCTAssertTrue("\(error)".contains("no key with ID \(Hex.encode(stranger.keyID)), which signed"), "\(error)")
        }
    }
}
