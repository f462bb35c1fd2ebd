import Catalog
import CustodyCore
import Foundation
import Ledger
import Storage
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// What a pass over the store's locks did.
public struct LockSyncReport: Sendable {
    /// Chunks whose lock was read from the store (first seen), whose date was moved later, whose legal hold was
    /// set or cleared.
    public var read = 0
    public var extended = 0
    public var held = 0
    public var released = 0
    /// Chunks an exhibit names that the store does not hold (`verify` says more).
    public var missing: [SHA256Digest] = []
    /// False when the store does not lock chunks: nothing to do.
    public var locking = false

    public var changed: Int { extended + held + released }
}

/// Object Lock follows retention (`LockPlan`): the store's retention dates and legal holds are brought to what the
/// catalog says, recomputed from it each time and compared with what the store was last seen to have
/// (`ChunkLockRegistry`), so only the differences are sent. A catalog change that lengthens a rule or adds or
/// removes a hold commits first and then brings its exhibits' chunks up to date (`settleLocks`); when the store
/// cannot be reached, nothing is lost: the next `retention run` (daily in `serve`) or `custody store sync-locks`
/// finds the same differences and sends them. One pass at a time per data directory (a file lock), each reading
/// the catalog once it holds it, so a hold removed after one was added ends cleared whatever the order.
extension Vault {
    /// The store, when it locks its chunks (an S3 bucket with `lock=`); nil for any other. Opens a deferred store.
    func lockingStore() throws -> LockingChunkStore? {
        guard case .s3(_, lock: .some) = try storeLocation() else { return nil }
        let opened = try (store as? DeferredChunkStore)?.open() ?? store
        guard let locking = opened as? LockingChunkStore, locking.locksChunks else { return nil }
        return locking
    }

    /// Brings the store's locks to what retention says now: of every chunk, or (`exhibits`) of the chunks of
    /// those exhibits. Throws when the store cannot be reached, after recording what it did.
    @discardableResult
    public func syncLocks(exhibits: Set<String>? = nil) throws -> LockSyncReport {
        var report = LockSyncReport()
        guard let store = try lockingStore() else { return report }
        report.locking = true
        let guardFile = try lockPass()
        defer { close(guardFile) }
        let registry = try ChunkLockRegistry(db: db)
        let now = clock.now()
        let (targets, applied, scope) = try db.readTransaction {
            let facts = try retentionFacts()
            let exhibitTargets = LockPlan.exhibitTargets(facts, RetentionPlan.decide(facts, now: now), now: now)
            let uses = try db.query("SELECT e.id, c.chunk FROM exhibit_chunks c JOIN exhibits e ON e.num = c.exhibit")
                .compactMap { row in row.text(1).flatMap(SHA256Digest.init(hex:)).map { (row.text(0) ?? "", $0) } }
            let targets = LockPlan.chunkTargets(uses, exhibitTargets)
            let applied = try registry.applied()
            let scope = exhibits.map { ids in Set(uses.filter { ids.contains($0.0) }.map(\.1)) }
                ?? Set(targets.keys).union(applied.filter(\.value.legalHold).keys)
            return (targets, applied, scope)
        }
        for chunk in scope.sorted() {
            var current = applied[chunk]
            if current == nil {
                guard let state = try store.lockState(chunk) else {
                    report.missing.append(chunk)
                    continue
                }
                let seen = ChunkLockRegistry.Applied(retainUntil: state.retainUntil.map(Self.seconds),
                                                     legalHold: state.legalHold)
                try registry.setApplied(chunk, seen)
                current = seen
                report.read += 1
            }
            guard let before = current else { continue }
            let (extend, hold) = LockPlan.work(targets[chunk], applied: before)
            var after = before
            if let extend {
                after = .init(retainUntil: try extendRetention(chunk, to: extend, in: store), legalHold: after.legalHold)
                report.extended += 1
            }
            if let hold {
                try store.setLegalHold(chunk, hold)
                after = .init(retainUntil: after.retainUntil, legalHold: hold)
                if hold { report.held += 1 } else { report.released += 1 }
            }
            if after != before { try registry.setApplied(chunk, after) }
        }
        return report
    }

    /// Moves the chunk's date to `until`; returns the date it has then. A refusal because the store has a later
    /// date already (set by another pass, or a version written later) is no error.
    private func extendRetention(_ chunk: SHA256Digest, to until: Int64, in store: LockingChunkStore) throws -> Int64 {
        do {
            try store.extendRetention(chunk, until: Date(timeIntervalSince1970: Double(until)))
            return until
        } catch {
            guard let has = try store.lockState(chunk)?.retainUntil.map(Self.seconds), has >= until else { throw error }
            return has
        }
    }

    /// After a catalog change that may lengthen `ids`' rules or change their holds (committed already): their
    /// families' chunks (every chunk: nil) brought up to date now. A store that cannot be reached leaves the work to the next pass
    /// (`lockWorkPending` says why); the change stands.
    func settleLocks(for ids: [String]?) {
        do {
            guard case .s3(_, lock: .some) = try storeLocation() else { return }
            var family: Set<String>?
            if let ids {
                family = []
                for id in ids { family?.formUnion(try retentionFacts(family: catalog.find(id)).map(\.exhibit.id)) }
            }
            try syncLocks(exhibits: family)
            lockWorkPending = nil
        } catch {
            lockWorkPending = "the chunk store's locks were not updated (\(error)); the next `retention run` or "
                + "`custody store sync-locks` updates them"
        }
    }

    /// Exclusive use of the store's locks for this pass: an open descriptor holding `flock` on
    /// `store-locks.lock` in the data directory.
    private func lockPass() throws -> Int32 {
        let path = directory.root + "/store-locks.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CustodyError.failure("cannot open \(path): \(String(cString: strerror(errno)))") }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else {
                close(fd)
                throw CustodyError.failure("cannot lock \(path): \(String(cString: strerror(errno)))")
            }
        }
        return fd
    }

    static func seconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) }
}
