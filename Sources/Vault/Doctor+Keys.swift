import Crypto
import CustodyCore
import Foundation
import Ledger
import POSIX

/// `custody doctor`'s key checks: the ledger key pair is one pair, and every retired ledger key records
/// the size of the last checkpoint it signed.
extension Doctor {
    static func keys(_ vault: Vault) -> [DoctorFinding] {
        let d = vault.directory
        var findings = [DoctorFinding]()
        if let problem = d.ledgerKeyPairProblem() {
            findings.append(DoctorFinding(check: "keys", level: .problem, detail: problem, fix: pairFix(vault)))
        } else {
            findings.append(.ok("keys", "\(d.ledgerPublicKey) is the public key of \(d.ledgerPrivateKey)"))
        }
        let legacy: [RetiredLedgerKey]
        do { legacy = try d.retiredLedgerKeys().filter { $0.lastCheckpointSize == nil } } catch {
            findings.append(DoctorFinding(check: "retired keys", level: .problem, detail: "\(error)",
                                          fix: "restore \(d.retiredKeys) from a backup"))
            return findings
        }
        guard !legacy.isEmpty else { return findings }
        let sizes = (try? lastSizes(vault, of: legacy)) ?? [:]
        findings.append(DoctorFinding(
            check: "retired keys", level: .warning,
            detail: legacy.map(\.path).joined(separator: ", ") + " records no \(RetiredLedgerKey.sizeLabel) (retired "
                + "by an earlier version): a checkpoint of any size signed with it verifies",
            fix: legacy.map { key in
                "add the line `\(RetiredLedgerKey.sizeLabel): \(sizes[key.path].map(String.init) ?? "N")` above "
                    + "-----BEGIN in \(key.path)"
            }.joined(separator: "; ") + " (the size of the last stored checkpoint it signed)"))
        return findings
    }

    /// For each record in `keys`, the size of the largest stored checkpoint its key signed.
    static func lastSizes(_ vault: Vault, of keys: [RetiredLedgerKey]) throws -> [String: UInt64] {
        let origin = try vault.ledgerOrigin()
        let ids = try keys.map { (path: $0.path, id: try NoteVerifier(name: origin, publicKey: $0.publicKey).keyID) }
        var sizes = [String: UInt64]()
        for checkpoint in try vault.events.checkpoints() {
            let signers = NoteVerifier.signatureKeyIDs(checkpoint.note)
            for key in ids where signers.contains(key.id) {
                sizes[key.path] = max(sizes[key.path] ?? 0, checkpoint.size)
            }
        }
        return sizes
    }

    /// What to do about a ledger key pair that is not one: which file is wrong follows from the key that
    /// signed the newest stored checkpoint.
    static func pairFix(_ vault: Vault) -> String {
        let d = vault.directory
        let derive = "custody init --data \(d.root) derives \(d.ledgerPublicKey) again from \(d.ledgerPrivateKey)"
        let restore = "restore \(d.keys) from a backup"
        if !FS.exists(d.ledgerPublicKey) { return derive }
        guard let origin = try? vault.ledgerOrigin(),
              let privateKey = try? Ed25519Key(pem: String(contentsOfFile: d.ledgerPrivateKey, encoding: .utf8)),
              let signing = try? NoteVerifier(name: origin, publicKey: privateKey.publicBytes()),
              let newest = try? vault.events.latestCheckpoint() else { return restore }
        let signers = NoteVerifier.signatureKeyIDs(newest.note)
        if signers.contains(signing.keyID) {
            return "the newest checkpoint was signed with \(d.ledgerPrivateKey): move \(d.ledgerPublicKey) aside "
                + "(mv \(d.ledgerPublicKey) \(d.ledgerPublicKey).wrong), then \(derive)"
        }
        return "\(d.ledgerPrivateKey) did not sign the newest checkpoint: \(restore)"
    }
}
