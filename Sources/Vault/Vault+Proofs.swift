import CustodyCore
import Ledger

extension Vault {
    /// The C2SP `tlog-proof` of `event` in `checkpoint` (`opened`: the same note, its signature checked),
    /// checked before it is handed out: a court bundle's `custody/proofs/` and a custody report's
    /// proofs are made here.
    public func inclusionProof(of event: CustodyEvent, in checkpoint: StoredCheckpoint, opened: Checkpoint) throws
        -> InclusionProof {
        let index = UInt64(event.seq)
        let hashes = try events.inclusionProof(index: index, size: checkpoint.size)
        let proof = InclusionProof(leaf: event.leafBytes, index: index, hashes: hashes.map(\.bytes),
                                   checkpoint: checkpoint.note)
        guard Merkle.verifyInclusion(index: index, size: opened.size, leafHash: Merkle.leafHash(event.leafBytes).bytes,
                                     proof: proof.hashes, root: opened.root.bytes) else {
            throw CustodyError.integrity("the ledger's inclusion proof of event \(event.seq) does not lead to its "
                                         + "checkpoint of size \(checkpoint.size)")
        }
        return proof
    }
}
