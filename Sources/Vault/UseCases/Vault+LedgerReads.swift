import CustodyCore
import Crypto
import Foundation
import Ledger

/// Reading the ledger: its timeline, checkpoints, key, proofs and a full check (`readLedger`). None is
/// recorded when allowed; a refusal is. Proofs are verified before they are handed out. What anyone may
/// read of it is in `Vault+PublishedLedger.swift`.
extension Vault {
    /// The ledger's events, oldest first: all, or those of the exhibit `reference` names.
    public func ledgerEvents(of reference: String?, for actor: Actor) throws -> (exhibit: String?, [CustodyEvent]) {
        let exhibit = try reference.map { try self.exhibit($0, for: .readLedger, by: actor, includingDeleted: true).id }
        if exhibit == nil { try authorize(actor, to: .readLedger) }
        return (exhibit, try events.events(exhibit: exhibit))
    }

    /// The newest checkpoint, signed now if the ledger grew since, opened with the public key.
    public func latestCheckpoint(for actor: Actor) throws -> (stored: StoredCheckpoint, opened: Checkpoint) {
        try authorize(actor, to: .readLedger)
        guard let stored = try checkpoint() else { throw CustodyError.notFound(.checkpoint, "the ledger is empty") }
        return (stored, try Checkpoint.open(stored.note, verifier: noteVerifier()))
    }

    /// The verifier key and the public key as PEM.
    public func ledgerKey(for actor: Actor) throws -> (verifier: NoteVerifier, pem: String) {
        try authorize(actor, to: .readLedger)
        return try publishedLedgerKey()
    }

    /// An inclusion proof of event `seq` in the stored checkpoint of `size` events, or in the newest
    /// (signed now if the ledger grew).
    public func inclusionProof(seq: UInt64, size: Int?, for actor: Actor) throws
        -> (event: CustodyEvent, checkpoint: StoredCheckpoint, hashes: [SHA256Digest], proof: InclusionProof) {
        try authorize(actor, to: .readLedger)
        try checkpoint()
        let checkpoint: StoredCheckpoint
        if let size {
            guard let found = try events.checkpoints().first(where: { $0.size == UInt64(size) }) else {
                let sizes = try events.checkpoints().map { String($0.size) }.suffix(10).joined(separator: ", ")
                throw CustodyError.notFound(.checkpoint, "no checkpoint has size \(size); recent checkpoint "
                                            + "sizes: \(sizes)")
            }
            checkpoint = found
        } else {
            guard let latest = try events.latestCheckpoint() else {
                throw CustodyError.notFound(.checkpoint, "the ledger is empty")
            }
            checkpoint = latest
        }
        guard seq < checkpoint.size, let event = try events.event(seq: Int64(seq)) else {
            throw CustodyError.notFound(.other, "event \(seq) is not in the checkpoint of size \(checkpoint.size)")
        }
        let hashes = try events.inclusionProof(index: seq, size: checkpoint.size)
        let proof = InclusionProof(leaf: event.leafBytes, index: seq, hashes: hashes.map(\.bytes),
                                   checkpoint: checkpoint.note)
        _ = try proof.verify(verifier: noteVerifier())  // never hand out a proof that does not verify
        return (event, checkpoint, hashes, proof)
    }

    /// A proof that the ledger now extends `oldNote`, a checkpoint kept elsewhere (`label` names it
    /// in errors). Integrity errors when it does not.
    public func consistencyProof(from oldNote: String, label: String, for actor: Actor) throws
        -> (old: Checkpoint, latest: StoredCheckpoint, hashes: [SHA256Digest], proof: ConsistencyProof) {
        try authorize(actor, to: .readLedger)
        let verifier = try noteVerifier()
        let old = try Checkpoint.open(oldNote, verifier: verifier)
        try checkpoint()
        guard let latest = try events.latestCheckpoint() else {
            throw CustodyError.notFound(.checkpoint, "the ledger is empty")
        }
        guard old.size <= latest.size else {
            throw CustodyError.integrity("\(label) covers \(old.size) events but the ledger has only \(latest.size): "
                                         + "events were deleted")
        }
        guard try events.root(size: old.size) == old.root else {
            throw CustodyError.integrity("the ledger's first \(old.size) events do not match \(label): "
                                         + "the log was changed or rewritten after that checkpoint")
        }
        let hashes = try events.consistencyProof(oldSize: old.size, newSize: latest.size)
        let proof = ConsistencyProof(oldSize: old.size, newSize: latest.size, hashes: hashes.map(\.bytes),
                                     checkpoint: latest.note)
        _ = try proof.verify(old: old, verifier: verifier)
        return (old, latest, hashes, proof)
    }

    /// Recomputes every leaf and the tree, checks every stored checkpoint and the `external` ones.
    public func verifyLedger(external: [(label: String, note: String)], for actor: Actor,
                             progress: ((UInt64, UInt64) -> Void)? = nil) throws -> LedgerReport {
        try authorize(actor, to: .readLedger)
        return try events.verify(verifier: noteVerifier(), external: external, progress: progress)
    }
}
