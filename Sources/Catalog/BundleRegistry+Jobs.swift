import CustodyCore
import SQLite

/// Transfer jobs' leases: a worker leases one job at a time (state `running`, its name and a lease
/// end), renews the lease while it works, and either finishes the job (`markBuilt`) or records a
/// failed attempt: the job is queued again after a backoff, or `failed` after its last attempt. A
/// lease that ends without either (the worker was killed) counts as a failed attempt too, noticed by
/// the next worker that leases. Every call runs in the caller's write transaction (`BEGIN IMMEDIATE`),
/// so two processes never lease one job. Times are Unix seconds from the caller's clock.
extension BundleRegistry {
    /// Attempts a job gets before it is given up (`failed`).
    public static let maxAttempts: Int64 = 5

    /// Seconds to wait before trying again after failed attempt `attempt` (1, 2, ...): 5 s doubling,
    /// at most an hour.
    public static func backoff(afterAttempt attempt: Int64) -> Int64 {
        min(3600, 5 << min(20, max(0, attempt - 1)))
    }

    /// Running jobs whose lease is over at `now`, or whose worker `isGone` says has stopped (a worker
    /// on this machine whose process is gone): their attempts failed.
    public func lapsedLeases(now: Int64, isGone: (String) -> Bool) throws -> [Bundle] {
        try db.query("SELECT \(Self.columns) FROM bundles WHERE state = 'running' ORDER BY num")
            .map(Self.decode)
            .filter { ($0.leaseUntil ?? 0) <= now || $0.leaseOwner.map(isGone) == true }
    }

    /// Leases the oldest job that is due (queued, its backoff over, not revoked, none of its clips
    /// leased to a remote worker) to `owner` until `until`, counting the attempt; nil when none is due.
    /// `only`: job `only` or none. `leavingRedactions`: only a job none of whose clips waits for a
    /// redaction (remote workers make them: `BundleRegistry+Redactions.swift`).
    public func leaseNext(owner: String, now: Int64, until: Int64, only: String? = nil,
                          leavingRedactions: Bool = false) throws -> Bundle? {
        guard let id = try db.query("""
            SELECT id FROM bundles WHERE state = 'queued' AND next_try_at <= ?1 AND revoked_at IS NULL
            AND (?2 IS NULL OR id = ?2 COLLATE NOCASE) AND NOT EXISTS (
                SELECT 1 FROM bundle_items i WHERE i.bundle_num = bundles.num AND i.spec IS NOT NULL
                AND i.derived IS NULL AND (?3 OR (i.lease_id IS NOT NULL AND i.lease_until > ?1)))
            ORDER BY num LIMIT 1
            """, [.integer(now), .optional(only), .integer(leavingRedactions ? 1 : 0)]).first?.text(0) else {
            return nil
        }
        try db.query("""
            UPDATE bundles SET state = 'running', attempts = attempts + 1, lease_owner = ?, lease_until = ?,
            step = 'leased', progress = 0 WHERE id = ?
            """, [.text(owner), .integer(until), .text(id)])
        return try get(id)
    }

    /// Moves the lease of `owner` on job `id` on to `until`. False when the lease is no longer its own
    /// (it lapsed and another worker took the job, or the job was revoked): the worker must stop.
    public func renewLease(_ id: String, owner: String, until: Int64) throws -> Bool {
        try db.query("""
            UPDATE bundles SET lease_until = ? WHERE id = ? AND state = 'running' AND lease_owner = ?
            AND revoked_at IS NULL
            """, [.integer(until), .text(id), .text(owner)])
        return db.changes == 1
    }

    /// True while `owner` holds the lease of job `id`.
    public func holdsLease(_ id: String, owner: String) throws -> Bool {
        try db.query("""
            SELECT 1 FROM bundles WHERE id = ? AND state = 'running' AND lease_owner = ? AND revoked_at IS NULL
            """, [.text(id), .text(owner)]).first != nil
    }

    /// What the worker of job `id` is doing (`redacting EX-000004`, `writing`) and how far (0...1).
    public func setStep(_ id: String, owner: String, step: String, progress: Double) throws {
        try db.query("UPDATE bundles SET step = ?, progress = ? WHERE id = ? AND lease_owner = ?",
                     [.text(step), .real(min(1, max(0, progress))), .text(id), .text(owner)])
    }

    /// Notes the derived exhibit item `index` of bundle `id` was redacted into, so a retry sends it
    /// instead of redacting again.
    public func setDerived(_ id: String, index: Int, derived: String) throws {
        try db.query("""
            UPDATE bundle_items SET derived = ? WHERE idx = ? AND bundle_num = (SELECT num FROM bundles WHERE id = ?)
            """, [.text(derived), .integer(Int64(index)), .text(id)])
        guard db.changes == 1 else { throw CustodyError.notFound(.bundle, "no item \(index) in bundle \(id)") }
    }

    /// Records a failed attempt of job `id` (its worker's error, or a lapsed lease): queued again after
    /// `backoff` seconds, or `failed` when it was the last attempt. Returns the job as it now is.
    @discardableResult
    public func recordFailure(_ id: String, error: String, now: Int64, backoff: Int64) throws -> Bundle {
        let job = try get(id)
        let last = job.attempts >= Self.maxAttempts
        try db.query("""
            UPDATE bundles SET state = ?, lease_owner = NULL, lease_until = NULL, next_try_at = ?, error = ?,
            step = NULL, progress = NULL WHERE id = ?
            """, [.text(last ? State.failed.rawValue : State.queued.rawValue), .integer(now + backoff),
                  .text(String(error.prefix(1000))), .text(id)])
        return try get(id)
    }

    /// Gives job `id` back (its worker was asked to stop): queued again at once, the attempt not counted.
    public func releaseLease(_ id: String, owner: String, now: Int64) throws {
        try db.query("""
            UPDATE bundles SET state = 'queued', attempts = MAX(0, attempts - 1), lease_owner = NULL,
            lease_until = NULL, next_try_at = ?, step = NULL, progress = NULL
            WHERE id = ? AND state = 'running' AND lease_owner = ?
            """, [.integer(now), .text(id), .text(owner)])
    }

    /// Stops a job that has not been built (revoked before it was): `failed`, with `error` saying why.
    /// False when the job was built already.
    public func cancel(_ id: String, error: String) throws -> Bool {
        try db.query("""
            UPDATE bundles SET state = 'failed', lease_owner = NULL, lease_until = NULL, error = ?, step = NULL
            WHERE id = ? AND state IN ('queued', 'running')
            """, [.text(error), .text(id)])
        return db.changes == 1
    }
}
