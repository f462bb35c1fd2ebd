import CustodyCore
import SQLite

/// Remote workers' leases on single redactions (`custody worker --server`): a clip of a queued job
/// that has a spec and no derived exhibit yet is leased to one worker at a time under a lease ID of
/// its own, renewed while the worker works, and ended when its result is catalogued or its failure
/// recorded. A lease that lapses (the worker died) is simply leased again; a report under a lease ID
/// that is no longer the clip's is refused. The job itself stays `queued` meanwhile: the primary's
/// transfer worker builds its ZIP once every clip has its derived exhibit (`leaseNext`). Every call
/// runs in the caller's write transaction. Times are Unix seconds from the caller's clock.
extension BundleRegistry {
    /// One clip leased to a remote worker.
    public struct RedactionLease: Sendable, Equatable {
        public let leaseID: String
        public let owner: String
        public let until: Int64
        public let bundle: String
        public let item: Item
        /// Leases of this clip so far, this one included.
        public let attempts: Int64
    }

    /// The oldest clip due for redaction: its job queued (its backoff over, not revoked), a spec, no
    /// derived exhibit, and no live lease (none, or one over at `now`). Nil when there is none.
    public func nextRedaction(now: Int64) throws -> (bundle: String, item: Item, attempts: Int64)? {
        guard let row = try db.query("""
            SELECT b.id, i.idx, i.exhibit, i.spec, i.attempts FROM bundle_items i JOIN bundles b ON b.num = i.bundle_num
            WHERE b.state = 'queued' AND b.revoked_at IS NULL AND b.next_try_at <= ?1 AND i.spec IS NOT NULL
            AND i.derived IS NULL AND (i.lease_id IS NULL OR i.lease_until <= ?1) ORDER BY b.num, i.idx LIMIT 1
            """, [.integer(now)]).first else { return nil }
        return (row.text(0) ?? "", Item(index: Int(row.int(1) ?? 0), exhibit: row.text(2) ?? "", spec: row.blob(3)),
                row.int(4) ?? 0)
    }

    /// Leases clip `index` of job `bundle` to `owner` under `leaseID` until `until`, counting the attempt.
    public func leaseRedaction(_ bundle: String, index: Int, leaseID: String, owner: String, until: Int64) throws {
        try db.query("""
            UPDATE bundle_items SET lease_id = ?, lease_owner = ?, lease_until = ?, attempts = attempts + 1
            WHERE idx = ? AND bundle_num = (SELECT num FROM bundles WHERE id = ?)
            """, [.text(leaseID), .text(owner), .integer(until), .integer(Int64(index)), .text(bundle)])
        guard db.changes == 1 else { throw CustodyError.notFound(.bundle, "no item \(index) in bundle \(bundle)") }
    }

    /// The lease `leaseID` names while it is still its clip's, held by `owner`: the clip not derived
    /// yet, its job queued and not revoked. Nil otherwise (taken over, finished, revoked, unknown). A
    /// lease past its end that no one took over is still the owner's.
    public func redactionLease(_ leaseID: String, owner: String) throws -> RedactionLease? {
        guard let row = try db.query("""
            SELECT b.id, i.idx, i.exhibit, i.spec, i.lease_until, i.attempts FROM bundle_items i
            JOIN bundles b ON b.num = i.bundle_num
            WHERE i.lease_id = ? AND i.lease_owner = ? AND i.derived IS NULL AND b.state = 'queued'
            AND b.revoked_at IS NULL
            """, [.text(leaseID), .text(owner)]).first else { return nil }
        return RedactionLease(leaseID: leaseID, owner: owner, until: row.int(4) ?? 0, bundle: row.text(0) ?? "",
                              item: Item(index: Int(row.int(1) ?? 0), exhibit: row.text(2) ?? "", spec: row.blob(3)),
                              attempts: row.int(5) ?? 0)
    }

    /// Moves lease `leaseID` on to `until`; false when it is no longer `owner`'s (`redactionLease`).
    public func renewRedaction(_ leaseID: String, owner: String, until: Int64) throws -> Bool {
        guard try redactionLease(leaseID, owner: owner) != nil else { return false }
        try db.query("UPDATE bundle_items SET lease_until = ? WHERE lease_id = ?", [.integer(until), .text(leaseID)])
        return true
    }

    /// Ends lease `leaseID` (its result catalogued, its failure recorded, or given back: then, not
    /// `counted`, the attempt is taken back).
    public func endRedactionLease(_ leaseID: String, counted: Bool = true) throws {
        try db.query("""
            UPDATE bundle_items SET lease_id = NULL, lease_owner = NULL, lease_until = NULL,
            attempts = MAX(0, attempts - ?) WHERE lease_id = ?
            """, [.integer(counted ? 0 : 1), .text(leaseID)])
    }

    /// Ends every lease of `owner` (a revoked worker): their clips are leased again at once.
    public func endRedactionLeases(owner: String) throws {
        try db.query("""
            UPDATE bundle_items SET lease_id = NULL, lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?
            """, [.text(owner)])
    }

    /// Puts job `bundle` off until `nextTry` after a clip's failed redaction, noting `error`.
    public func deferJob(_ bundle: String, until nextTry: Int64, error: String) throws {
        try db.query("UPDATE bundles SET next_try_at = ?, error = ? WHERE id = ? AND state = 'queued'",
                     [.integer(nextTry), .text(String(error.prefix(1000))), .text(bundle)])
    }
}
