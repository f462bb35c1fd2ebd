import Catalog
import CustodyCore
import Crypto
import Ledger
import POSIX
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A leased transfer job, as the worker needs it: the bundle, its clips and the case's title.
public struct BundleJob: Sendable {
    public let bundle: BundleRegistry.Bundle
    public let items: [BundleRegistry.Item]
    public let caseTitle: String?
}

/// Court bundles, the worker's side: leasing a job, renewing the lease, noting its progress and the
/// exhibits it redacted, and finishing it (built) or recording a failed attempt. The worker acts for the
/// officer who queued the job: its events name that officer, whose role is checked when it redacts and
/// when it finishes (a job of an officer disabled since fails, the refusal recorded). `now` is the
/// worker's clock (Unix seconds).
extension Vault {
    /// Leases the next due job to `owner` for `leaseSeconds`, or returns nil when none is due. First,
    /// in the same transaction, each running job whose lease lapsed (or whose worker `isGone`) is a
    /// failed attempt (`share` failed): queued again at once, or given up after its last attempt.
    /// `only`: job `only` or none. `leavingRedactions`: only a job whose redactions are all made (remote
    /// workers make them: `Vault+RemoteRedaction.swift`).
    public func leaseBundleJob(owner: String, now: Int64, leaseSeconds: Int64, only: String? = nil,
                               leavingRedactions: Bool = false,
                               isGone: (String) -> Bool = { _ in false }) throws -> BundleJob? {
        try db.transaction {
            for lapsed in try bundleRegistry.lapsedLeases(now: now, isGone: isGone) {
                let why = "the lease of worker \(lapsed.leaseOwner ?? "?") ended before it finished (stopped or killed)"
                let job = try bundleRegistry.recordFailure(lapsed.id, error: why, now: now, backoff: 0)
                try recordAttempt(job, error: why)
                try removeUnclaimedZip(of: job.id)
            }
            guard let leased = try bundleRegistry.leaseNext(owner: owner, now: now, until: now + leaseSeconds,
                                                            only: only, leavingRedactions: leavingRedactions) else {
                return nil
            }
            return BundleJob(bundle: leased, items: try bundleRegistry.items(of: leased.id),
                             caseTitle: try caseRegistry.find(leased.caseRef)?.title)
        }
    }

    /// The `--reason` a bundle's redactions are recorded with.
    public static func bundleRedactionReason(_ bundle: BundleRegistry.Bundle) -> String {
        "court bundle \(bundle.id) for \(bundle.recipient) (case \(bundle.caseRef))"
    }

    /// Moves `owner`'s lease on job `id` on; false when it is no longer `owner`'s (the worker stops).
    public func renewBundleLease(_ id: String, owner: String, until: Int64) throws -> Bool {
        try db.transaction { try bundleRegistry.renewLease(id, owner: owner, until: until) }
    }

    /// Notes what the worker of job `id` is doing and how far it is (shown by `bundle show`).
    public func noteBundleProgress(_ id: String, owner: String, step: String, progress: Double) throws {
        try db.transaction { try bundleRegistry.setStep(id, owner: owner, step: step, progress: progress) }
    }

    /// Notes that clip `index` of bundle `id` was redacted into exhibit `derived`, while `owner` holds the
    /// job's lease; throws `conflict` (nothing noted) when it does not: a worker that lost the job to
    /// another must not replace what that one noted.
    public func noteBundleDerived(_ id: String, owner: String, index: Int, derived: String) throws {
        try db.transaction {
            guard try bundleRegistry.holdsLease(id, owner: owner) else {
                throw CustodyError.conflict(.bundle, "job \(id) is no longer leased to \(owner)")
            }
            try bundleRegistry.setDerived(id, index: index, derived: derived)
        }
    }

    /// The derived exhibit `parent` was redacted into with the spec whose SHA-256 is `specSHA256`, if
    /// one is stored: a redaction finished just before a crash is reused, not done again.
    public func storedRedaction(of parent: Exhibit, specSHA256: SHA256Digest) throws -> Exhibit? {
        try catalog.derived(from: parent).first { $0.specSHA256 == specSHA256 }
    }

    /// Finishes job `id`: while `owner` still holds its lease, `publish` puts the ZIP in place (renamed
    /// into `bundles/`), and the bundle is marked built and its `share` built event recorded, in one
    /// transaction. Throws `conflict` (nothing published) when the lease is no longer `owner`'s.
    public func finishBundleJob(_ id: String, owner: String, size: Int64, sha256: String, checkpointSize: Int64,
                                expiresAt: String, publish: () throws -> Void) throws {
        // The officer it is built for must still be allowed to (checked before the transaction, which a
        // refusal's event would not survive).
        let queuedBy = try bundleRegistry.get(id).createdBy
        try authorize(.officer(queuedBy), to: .createBundle, details: ["bundle": id, "change": "built"])
        try db.transaction {
            let job = try bundleRegistry.get(id)
            guard try bundleRegistry.holdsLease(id, owner: owner) else {
                throw CustodyError.conflict(.bundle, "job \(id) is no longer leased to \(owner) (revoked, or its "
                                            + "lease lapsed and another worker took it)")
            }
            try publish()
            try bundleRegistry.markBuilt(id, size: size, sha256: sha256, checkpointSize: checkpointSize,
                                         builtAt: Timestamp.rfc3339(), expiresAt: expiresAt)
            try record(CustodyEvent(actor: .officer(job.createdBy), action: .share, caseID: job.caseRef,
                                    objectSHA256: sha256,
                                    details: ["bundle": id, "change": "built", "zip_sha256": sha256,
                                              "size": String(size), "attempt": String(job.attempts)]))
        }
    }

    /// Records a failed attempt of job `id` while `owner` holds it: queued again after a backoff that
    /// doubles with each attempt, or given up (`failed`) after the last. Returns the job as it now is.
    @discardableResult
    public func failBundleJob(_ id: String, owner: String, error: String, now: Int64) throws -> BundleRegistry.Bundle {
        try db.transaction {
            let held = try bundleRegistry.get(id)
            guard try bundleRegistry.holdsLease(id, owner: owner) else { return held }
            let job = try bundleRegistry.recordFailure(
                id, error: error, now: now, backoff: BundleRegistry.backoff(afterAttempt: held.attempts))
            try recordAttempt(job, error: error)
            try removeUnclaimedZip(of: id)  // published by this attempt before what followed it failed
            return job
        }
    }

    /// Gives job `id` back unfinished (its worker is stopping): queued again at once, the attempt not
    /// counted; what it stored (a redaction) stays and is reused.
    public func releaseBundleJob(_ id: String, owner: String, now: Int64) throws {
        try db.transaction { try bundleRegistry.releaseLease(id, owner: owner, now: now) }
    }

    /// Removes `bundles/<id>.zip` of a job that is not built: a worker killed after renaming it in but
    /// before its transaction committed left it. Called in a write transaction that found the job
    /// unbuilt, so no live worker publishes meanwhile (a worker publishes in its own such transaction).
    func removeUnclaimedZip(of id: String) throws {
        let path = directory.bundleZip(id)
        guard unlink(path) == 0 || errno == ENOENT else {
            throw CustodyError.failure("cannot remove \(path)", cause: SystemError(call: "unlink", path: path,
                                                                                   errno: errno))
        }
    }

    /// The `share` failed event of a job's failed attempt (`gave_up` when it was the last).
    func recordAttempt(_ job: BundleRegistry.Bundle, error: String) throws {
        var details = ["bundle": job.id, "attempt": String(job.attempts), "error": String(error.prefix(1000))]
        if job.state == .failed { details["gave_up"] = "true" }
        try record(CustodyEvent(actor: .officer(job.createdBy), action: .share, caseID: job.caseRef,
                                outcome: .failed, details: details))
    }
}
