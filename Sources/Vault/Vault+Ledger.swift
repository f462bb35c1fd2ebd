import CustodyCore
import Crypto
import Foundation
import Ledger

extension Vault {
    /// The name the ledger's checkpoints are signed under (C2SP origin and note key name):
    /// `--origin` at `custody init`, by default `<org>/custody`. Fixed once the vault exists.
    public func ledgerOrigin() throws -> String {
        if let origin = try catalog.setting("ledger_origin") { return origin }
        return "\(try organization())/custody"
    }

    /// Signs checkpoints with the ledger key (`keys/ledger.key`, which must be 0600).
    public func noteSigner() throws -> NoteSigner {
        try NoteSigner(name: ledgerOrigin(), key: directory.loadLedgerKey())
    }

    /// Checks checkpoints with the public key alone (`keys/ledger.pub`, and the keys it replaced in
    /// `keys/retired/`, each up to the size it had signed), as an outsider would.
    public func noteVerifier() throws -> NoteVerifier {
        let pem: String
        do { pem = try String(contentsOfFile: directory.ledgerPublicKey, encoding: .utf8) } catch {
            throw CustodyError.missing(.ledgerPublicKey, "cannot read the ledger public key "
                                       + directory.ledgerPublicKey, cause: error)
        }
        return try Self.verifier(of: directory, origin: ledgerOrigin(), publicKeyPEM: pem)
    }

    /// The verifier of the public key `publicKeyPEM` and the retired keys in `directory`'s `keys/retired/`.
    static func verifier(of directory: DataDirectory, origin: String, publicKeyPEM pem: String) throws
        -> NoteVerifier {
        try NoteVerifier(name: origin, publicKey: Ed25519Key(pem: pem).publicBytes(),
                         retired: directory.retiredLedgerKeys().map { ($0.publicKey, $0.lastCheckpointSize) })
    }

    /// Signs a checkpoint covering every event so far, unless the newest one already does.
    @discardableResult
    public func checkpoint() throws -> StoredCheckpoint? {
        do {
            return try events.checkpoint(signing: noteSigner)
        } catch let e as CustodyError {
            throw e
        } catch {
            throw CustodyError.failure("cannot sign a ledger checkpoint", cause: error)
        }
    }
}
