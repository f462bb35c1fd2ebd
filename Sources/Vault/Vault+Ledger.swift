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
    /// `keys/retired/`), as an outsider would.
    public func noteVerifier() throws -> NoteVerifier {
        let pem: String
        do { pem = try String(contentsOfFile: directory.ledgerPublicKey, encoding: .utf8) } catch {
            throw CustodyError.missing(.ledgerPublicKey, "cannot read the ledger public key "
                                       + directory.ledgerPublicKey, cause: error)
        }
        let retired = try directory.retiredLedgerPublicKeys().map { try Ed25519Key(pem: $0).publicBytes() }
        return try NoteVerifier(name: ledgerOrigin(), publicKey: Ed25519Key(pem: pem).publicBytes(), retired: retired)
    }

    /// Signs a checkpoint covering every event so far, unless the newest one already does.
    @discardableResult
    public func checkpoint() throws -> StoredCheckpoint? {
        do {
            return try events.checkpoint(signer: noteSigner())
        } catch let e as CustodyError {
            throw e
        } catch {
            throw CustodyError.failure("cannot sign a ledger checkpoint", cause: error)
        }
    }
}
