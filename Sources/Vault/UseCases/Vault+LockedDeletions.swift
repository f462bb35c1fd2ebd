import Catalog
import CustodyCore
import Foundation
import Storage

/// Chunks retention freed that the store keeps under Object Lock. On a locking store a purge's deletion can be
/// refused: the chunk's retention date lies ahead (its rule was lengthened and shortened again, an open case kept
/// it, GOVERNANCE set by hand) or a legal hold stands. That is expected, not a failure: the chunk is recorded
/// (`locked_deletions`, with its lock's end when the store says it) and every later run asks again, deleting it
/// once the lock has ended. Whether it may go is decided again each time: a chunk an exhibit uses again (its bytes
/// ingested anew) is taken off the list, not deleted.
extension Vault {
    /// Deletes `chunk` from the store; true when it is gone. A refusal for a lock calls `refused` with the lock's
    /// end (nil: unknown, or a legal hold) and returns false.
    @discardableResult
    func deleteChunk(_ chunk: SHA256Digest, _ locks: ChunkLockRegistry,
                     refused: (Int64?) throws -> Void) throws -> Bool {
        do {
            try store.delete(chunk)
            try locks.forget(chunk)
            return true
        } catch ChunkStoreError.deletionRefused {
            let state = try? lockingStore()?.lockState(chunk)
            try refused(state?.legalHold == true ? nil : state?.retainUntil.map(Self.seconds))
            return false
        }
    }

    /// Asks again for every chunk the store refused to delete before: those whose lock has ended are deleted now.
    /// Returns the chunks still kept (with their lock's end as the store now says) and how many were deleted.
    func deleteUnlockedChunks(at now: Int64) throws -> (kept: [ChunkLockRegistry.LockedDeletion], freed: Int) {
        let locks = try ChunkLockRegistry(db: db)
        var freed = 0
        for pending in try locks.lockedDeletions() {
            // In the write transaction, as `freePurgedChunks`: no ingest takes the chunk up meanwhile.
            try db.transaction {
                guard try !chunkInUse(pending.chunk), try chunksOfUploadsUnderWay([pending.chunk]).isEmpty else {
                    try locks.keep(pending.chunk)
                    return
                }
                let gone = try deleteChunk(pending.chunk, locks) { until in
                    try locks.refusedDeletion(pending.chunk, exhibit: pending.exhibit, size: pending.size,
                                              at: pending.refusedAt, until: until)
                }
                if gone { freed += 1 }
            }
        }
        return (try locks.lockedDeletions(), freed)
    }

    /// Whether an exhibit that is not purged (live or restorable) names the chunk.
    func chunkInUse(_ chunk: SHA256Digest) throws -> Bool {
        try !db.query("""
            SELECT 1 FROM exhibit_chunks c JOIN exhibits e ON e.num = c.exhibit
            LEFT JOIN deletions d ON d.exhibit = e.id WHERE c.chunk = ? AND d.purged_at IS NULL LIMIT 1
            """, [.text(chunk.hex)]).isEmpty
    }
}
