import CustodyCore
import Crypto
import Foundation
import POSIX

/// Replacing keys: the old link secret moves to `keys/retired/` (0600), the old ledger public key too
/// (with the size of the last checkpoint it signed: `RetiredLedgerKey`; its private key is deleted); a
/// new one takes the name.
extension DataDirectory {
    /// The ledger keys replaced so far, oldest first.
    public func retiredLedgerKeys() throws -> [RetiredLedgerKey] {
        try retiredNames(prefix: "ledger-", suffix: ".pub").map { try RetiredLedgerKey(path: retiredKeys + "/" + $0) }
    }

    private func retiredNames(prefix: String, suffix: String) throws -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: retiredKeys)) ?? [])
            .filter { $0.hasPrefix(prefix) && $0.hasSuffix(suffix) }
            .sorted { ($0.count, $0) < ($1.count, $1) }
    }

    /// A free name in `keys/retired/` for a key retired at `now`.
    private func retiredName(_ kind: String, at now: Int64, suffix: String) -> String {
        var path = "\(retiredKeys)/\(kind)-\(now)\(suffix)"
        var n = 1
        while FS.entryExists(path) { path = "\(retiredKeys)/\(kind)-\(now)-\(n)\(suffix)"; n += 1 }
        return path
    }

    /// Writes a new ledger key pair in place of the old one, whose public key is kept in
    /// `keys/retired/ledger-<unix time>.pub` with `lastCheckpointSize`, the size of the last checkpoint
    /// it signed (the caller holds the ledger's write lock, so it signs no other). The new pair is
    /// written aside first; a crash at any step leaves a private key and either its own public key or
    /// none (`create()`, run by any `custody init`, derives it again), and at worst a record of the key
    /// still in use, which counts as the current key (`NoteVerifier`).
    func replaceLedgerKey(at now: Int64, lastCheckpointSize: UInt64) throws {
        try FS.mkdir(retiredKeys, 0o700)
        // The key that signed is the private one: its public key is derived, whatever ledger.pub says.
        let oldPEM = try loadLedgerKey().publicKeyPEM()
        let key = try Ed25519Key.generate()
        let aside = try scratch(renamingInto: keys)
        let (newKey, newPub) = (keys + "/ledger.key.new", keys + "/ledger.pub.new")
        try FS.writeFileDurably(newKey, Array(try key.privateKeyPEM().utf8), mode: 0o600, scratch: aside)
        try FS.writeFileDurably(newPub, Array(try key.publicKeyPEM().utf8), mode: 0o644, scratch: aside)
        let record = RetiredLedgerKey.text(pem: oldPEM, lastCheckpointSize: lastCheckpointSize,
                                           retiredAt: Timestamp.rfc3339(Date(timeIntervalSince1970: Double(now))))
        try FS.writeFileDurably(retiredName("ledger", at: now, suffix: ".pub"), Array(record.utf8), mode: 0o644,
                                scratch: scratch(renamingInto: retiredKeys))
        // The public key goes first, then the private key is replaced: a crash before the public key follows
        // leaves `ledger.pub` missing, and `create()` derives it from the private key in place, so the pair
        // always matches (the other order could leave the new public key beside the old private key, which
        // would go on signing).
        try FS.remove(ledgerPublicKey)
        try FS.fsyncDirectory(keys)
        try FS.rename(newKey, ledgerPrivateKey)
        try FS.fsyncDirectory(keys)
        try FS.rename(newPub, ledgerPublicKey)
        try FS.fsyncDirectory(keys)
    }

    /// The link secrets replaced so far, oldest first.
    public func loadRetiredLinkSecrets() throws -> [[UInt8]] {
        try retiredNames(prefix: "link-", suffix: ".secret").compactMap { name in
            FileManager.default.contents(atPath: retiredKeys + "/" + name).map { [UInt8]($0) }
        }
    }

    /// Moves the link secret to `keys/retired/link-<unix time>.secret` and writes a new one; every link
    /// signed so far stops opening. Each step is durable; a crash between them leaves the new secret
    /// missing, which `create()` (any `custody init`) makes.
    func replaceLinkSecret(at now: Int64) throws {
        try FS.mkdir(retiredKeys, 0o700)
        try FS.rename(linkSecret, retiredName("link", at: now, suffix: ".secret"))
        try FS.fsyncDirectory(retiredKeys)
        try FS.writeFileDurably(linkSecret, try SecureRandom.bytes(32), mode: 0o600,
                                scratch: scratch(renamingInto: keys))
    }
}
