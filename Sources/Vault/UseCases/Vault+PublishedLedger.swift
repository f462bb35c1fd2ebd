import CustodyCore
import Foundation
import Ledger

/// What the service publishes of the ledger to anyone (`/ledger/...`): stored checkpoints and
/// proofs between them. A read signs nothing and records nothing (as every ledger read), so
/// unauthenticated requests never write; the service's checkpointer keeps the newest checkpoint at
/// most a second behind the log. Proofs are verified before they are handed out.
extension Vault {
    /// The newest stored checkpoint, exactly as signed.
    public func newestCheckpoint(for actor: Actor) throws -> StoredCheckpoint {
        guard let latest = try events.latestCheckpoint() else {
            throw CustodyError.notFound(.checkpoint, "the ledger has no signed checkpoint yet")
        }
        return latest
    }

    /// The verifier key and the public key as PEM.
    public func publishedLedgerKey() throws -> (verifier: NoteVerifier, pem: String) {
        (try noteVerifier(), try String(contentsOfFile: directory.ledgerPublicKey, encoding: .utf8))
    }

    /// A consistency proof from the tree of the first `oldSize` events to the stored checkpoint of
    /// `newSize` events (the newest when nil). `oldSize` equal to the checkpoint's size gives an
    /// empty proof. Nothing is proved about the empty tree, so `oldSize` is at least 1.
    public func consistencyProof(from oldSize: UInt64, to newSize: UInt64?, for actor: Actor) throws
        -> ConsistencyProof {
        let target: StoredCheckpoint
        if let newSize {
            guard let found = try events.checkpoint(size: newSize) else {
                throw CustodyError.notFound(.checkpoint, "no stored checkpoint has size \(newSize)")
            }
            target = found
        } else {
            target = try newestCheckpoint(for: actor)
        }
        guard oldSize >= 1, oldSize <= target.size else {
            throw CustodyError.invalidInput(field: "from", "from must be between 1 and \(target.size), the size of "
                                            + "the checkpoint the proof leads to")
        }
        let proof = ConsistencyProof(oldSize: oldSize, newSize: target.size,
                                     hashes: try events.consistencyProof(oldSize: oldSize, newSize: target.size)
                                        .map(\.bytes),
                                     checkpoint: target.note)
        _ = try proof.verify(oldRoot: events.root(size: oldSize), verifier: noteVerifier())
        return proof
    }
}
