import Catalog
import CustodyCore
import Foundation
import Ledger
import Storage
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// What a retention run did (or, dry, would do).
public struct RetentionRunReport: Sendable {
    public struct Purged: Sendable {
        public let exhibit: String
        public let sha256: String
        /// Chunks no other exhibit (live or restorable) uses, removed from the store, and their bytes.
        public let chunks: Int
        public let bytes: Int64
    }

    /// The run's time, in Unix seconds on the vault's clock.
    public let now: Int64
    public let dryRun: Bool
    /// The exhibits deleted (restorable for 7 days), with the rule that made each due.
    public var deleted: [RetentionDecision] = []
    /// Deletions older than 7 days, purged.
    public var purged: [Purged] = []
    /// Live exhibits kept.
    public var kept = 0
    /// Deleted exhibits due to be purged that a rule keeps again (a hold or open case added since),
    /// restored instead (dry: that would be), with why.
    public var restored: [(exhibit: String, why: String)] = []
    /// Live exhibits whose capture time lies more than a day from their ingest
    /// (`RetentionPlan.captureOffset`): a camera clock to check; their period counts from the later.
    public var captureFarFromIngest: [Exhibit] = []
    /// Chunks freed by a purge (now or earlier) that the store keeps under Object Lock: left there, deleted by a
    /// later run once the lock ends (`Vault+LockedDeletions.swift`).
    public var lockedChunks: [ChunkLockRegistry.LockedDeletion] = []
    /// Such chunks of earlier runs whose lock has ended, deleted by this run.
    public var freedAfterLock = 0
    /// The store's locks brought up to date (`syncLocks`), or why they could not be.
    public var locks: LockSyncReport?
    public var lockFailure: String?
}

/// `custody retention run`: purges what was deleted more than `restoreWindow` ago, then deletes what
/// is due (`RetentionPlan`). Each deletion and each purge is its own transaction with its `delete`
/// event, so a run stopped at any moment (kill -9) leaves every exhibit whole or deleted, and the next
/// run goes on from there. Each exhibit is decided again inside its transaction, over its family as it
/// is then: a hold or case added meanwhile is seen.
extension Vault {
    /// How long a deleted exhibit can be restored before its chunks are purged.
    public static let restoreWindow: Int64 = 7 * 86_400

    public func runRetention(by actor: Actor, dryRun: Bool = false) throws -> RetentionRunReport {
        try authorize(actor, to: dryRun ? .readRetention : .manageRetention,
                      details: ["change": dryRun ? "dry run" : "run"])
        if !dryRun { try refuseIfMoved() }
        let now = clock.now()
        var report = RetentionRunReport(now: now, dryRun: dryRun)
        for deletion in try deletionRegistry.unpurged(deletedBy: now - Self.restoreWindow) {
            try beforePurge?(deletion.exhibit)
            switch try purge(deletion, at: now, by: actor, dryRun: dryRun) {
            case .purged(let purged): report.purged.append(purged)
            case .kept(let why): report.restored.append((deletion.exhibit, why))
            case .restoredMeanwhile: break
            }
        }
        if !dryRun {
            try freePurgedChunks(at: now)
            (report.lockedChunks, report.freedAfterLock) = try deleteUnlockedChunks(at: now)
        } else {
            report.lockedChunks = try ChunkLockRegistry(db: db).lockedDeletions()
        }
        for decision in RetentionPlan.decide(try retentionFacts(), now: now) {
            if decision.verdict != .deleted, RetentionPlan.captureOffset(of: decision.exhibit) != nil {
                report.captureFarFromIngest.append(decision.exhibit)
            }
            switch decision.verdict {
            case .keep: report.kept += 1
            case .deleted: break
            case .delete:
                if dryRun {
                    report.deleted.append(decision)
                } else if try delete(decision.exhibit, at: now, by: actor) {
                    report.deleted.append(decision)
                    RetentionTestHook.deleted(report.deleted.count)
                } else {
                    report.kept += 1
                }
            }
        }
        if !dryRun {
            do { report.locks = try syncLocks() } catch { report.lockFailure = "\(error)" }
            var details = ["change": "run", "deleted": String(report.deleted.count),
                           "purged": String(report.purged.count), "kept": String(report.kept),
                           "restored": String(report.restored.count)]
            if !report.lockedChunks.isEmpty || report.freedAfterLock > 0 {
                details["chunks_locked"] = String(report.lockedChunks.count)
                details["chunks_freed_after_lock"] = String(report.freedAfterLock)
            }
            try record(CustodyEvent(actor: actor, action: .retention, details: details))
        }
        return report
    }

    /// Runs retention when the last run (by anyone) is `interval` seconds or more ago on the vault's
    /// clock: what `custody serve` calls. Returns nil when it was not due.
    public func runRetentionIfDue(every interval: Int64, by actor: Actor) throws -> RetentionRunReport? {
        let now = clock.now()
        if let last = try catalog.setting("retention_last_run").flatMap({ Int64($0) }), now - last < interval {
            return nil
        }
        let report = try runRetention(by: actor)
        try catalog.setSetting("retention_last_run", String(now))
        return report
    }

    /// Deletes `exhibit` if, decided again over its family as it is now, it is still due. True when deleted.
    private func delete(_ exhibit: Exhibit, at now: Int64, by actor: Actor) throws -> Bool {
        try db.transaction {
            guard let decision = RetentionPlan.decide(try retentionFacts(family: exhibit), now: now)
                .first(where: { $0.exhibit.id == exhibit.id }), decision.verdict == .delete else { return false }
            var details = ["category": decision.category, "stage": "delete",
                           "restorable_until": Self.time(now + Self.restoreWindow)]
            details["due"] = decision.due.map(Self.time)
            let event = try record(CustodyEvent(actor: actor, action: .delete, exhibit: exhibit.id,
                                                objectSHA256: exhibit.sha256.hex, reason: "retention period ended",
                                                details: details))
            try deletionRegistry.markDeleted(exhibit.id, at: now, event: event.seq)
            return true
        }
    }

    /// What became of a deletion due to be purged.
    private enum PurgeOutcome {
        case purged(RetentionRunReport.Purged)
        /// A rule keeps it again (`keptBeforePurge`): restored, and why.
        case kept(String)
        /// Restored since the run listed it (`custody restore`, or its bytes ingested again): nothing to do.
        case restoredMeanwhile
    }

    /// Purges a deletion older than the restore window: recorded as a `delete` event (`stage: purge`);
    /// its chunks are removed by `freePurgedChunks` after. Decided again first, in the same transaction:
    /// an exhibit a rule keeps now (a hold or open case added since its deletion) is restored instead.
    private func purge(_ deletion: DeletionRegistry.Deletion, at now: Int64, by actor: Actor,
                       dryRun: Bool) throws -> PurgeOutcome {
        try db.transaction {
            // The run listed its deletions before this transaction: one restored since is left alone (a
            // purge recorded for it would be a false entry in the ledger for good).
            guard let current = try deletionRegistry.deletion(of: deletion.exhibit), current.purgedAt == nil,
                  current.event == deletion.event else { return .restoredMeanwhile }
            let exhibit = try catalog.find(deletion.exhibit)
            if let why = try keptBeforePurge(exhibit, now: now) {
                if !dryRun { try restoreKept([exhibit.id], because: why, by: actor) }
                return .kept(why)
            }
            let chunks = try deletionRegistry.chunksOnlyUsed(by: exhibit.id)
            let purged = RetentionRunReport.Purged(exhibit: exhibit.id, sha256: exhibit.sha256.hex,
                                                   chunks: chunks.count,
                                                   bytes: chunks.reduce(0) { $0 + Int64($1.size) })
            if dryRun { return .purged(purged) }
            let event = try record(CustodyEvent(
                actor: actor, action: .delete, exhibit: exhibit.id, objectSHA256: exhibit.sha256.hex,
                reason: "deleted more than 7 days ago: its chunks no other exhibit uses are freed",
                details: ["stage": "purge", "deleted_event": String(deletion.event), "chunks": String(chunks.count),
                          "bytes": String(purged.bytes)]))
            try deletionRegistry.markPurged(exhibit.id, at: now, event: event.seq)
            return .purged(purged)
        }
    }

    /// Removes from the store the chunks of purged exhibits that no live or restorable exhibit uses.
    /// In the write transaction, so no ingest can take up such a chunk meanwhile (`catalogue` checks
    /// its chunks are there in its own). A run stopped before this finishes leaves the exhibits purged
    /// and their chunks in the store: the next run removes them. A chunk the store keeps under its lock
    /// (`deletionRefused`) is expected: it is recorded in `locked_deletions` with its lock's end, and a later
    /// run deletes it (`deleteUnlockedChunks`); the exhibit counts as freed.
    func freePurgedChunks(at now: Int64) throws {
        let locks = try ChunkLockRegistry(db: db)
        for id in try deletionRegistry.unfreed() {
            try db.transaction {
                let chunks = try deletionRegistry.chunksOnlyUsed(by: id)
                // In a store that takes pieces early (a bucket), one an upload under way holds is its now: its
                // completion takes it as stored; `store gc` removes it if that upload never completes. A file store
                // adopts pieces by rename: its chunks are deleted as ever.
                let uploading = store is EarlyChunkStore ? try chunksOfUploadsUnderWay(chunks.map(\.digest)) : []
                for chunk in chunks where !uploading.contains(chunk.digest) {
                    try deleteChunk(chunk.digest, locks) { until in
                        try locks.refusedDeletion(chunk.digest, exhibit: id, size: chunk.size, at: now, until: until)
                    }
                }
                try deletionRegistry.markFreed(id)
            }
        }
    }

    static func time(_ seconds: Int64) -> String { Timestamp.rfc3339(Date(timeIntervalSince1970: Double(seconds))) }
}

/// For crash tests only: with `CUSTODY_TEST_RETENTION_PAUSE=<n>` in its environment, a retention run
/// that has committed its n-th deletion writes its PID to the file `CUSTODY_TEST_RETENTION_PAUSE_MARK`
/// names and waits there until it is killed, so the test can kill it part-way. Nothing else reads these.
enum RetentionTestHook {
    static let after = ProcessInfo.processInfo.environment["CUSTODY_TEST_RETENTION_PAUSE"].flatMap { Int($0) }
    static let mark = ProcessInfo.processInfo.environment["CUSTODY_TEST_RETENTION_PAUSE_MARK"]

    static func deleted(_ count: Int) {
        guard let after, after == count, let mark else { return }
        try? Data("\(getpid())\n".utf8).write(to: URL(fileURLWithPath: mark), options: .atomic)
        while true { pause() }  // until the test kills it
    }
}
