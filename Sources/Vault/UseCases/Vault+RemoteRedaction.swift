import Catalog
import Crypto
import CustodyCore
import Ledger
import MediaModel

/// One redaction leased to a remote worker: what it needs to make the derived clip from the shared
/// chunk store without the catalog (the parent's chunk list as the ledger anchors it, the spec's bytes
/// and what the spec was checked against), and the lease it reports under.
public struct RedactionAssignment: Sendable {
    public let leaseID: String
    /// Unix seconds; the worker renews before then.
    public let leaseUntil: Int64
    public let bundle: String
    public let index: Int
    public let parent: String
    public let parentSHA256: SHA256Digest
    public let chunkSize: Int
    public let chunks: [(digest: SHA256Digest, size: Int)]
    public let spec: [UInt8]
    public let bounds: RedactionSpec.Bounds
    /// How long the worker locks the clip's new chunks from their PUT (a store under Object Lock): the vault's
    /// default retention period, as the primary's own writes; nil from a primary that does not say.
    public var lockSeconds: Int64?

    public init(leaseID: String, leaseUntil: Int64, bundle: String, index: Int, parent: String,
                parentSHA256: SHA256Digest, chunkSize: Int, chunks: [(digest: SHA256Digest, size: Int)], spec: [UInt8],
                bounds: RedactionSpec.Bounds) {
        self.leaseID = leaseID
        self.leaseUntil = leaseUntil
        self.bundle = bundle
        self.index = index
        self.parent = parent
        self.parentSHA256 = parentSHA256
        self.chunkSize = chunkSize
        self.chunks = chunks
        self.spec = spec
        self.bounds = bounds
    }
}

/// Redactions of court bundles made by remote workers (`custody worker --server`), the primary's
/// side: leasing one (its `redact` event on the parent, role `source`, before the worker reads a
/// byte), renewing, giving back and failing it. A success is `completeRedaction`
/// (`Vault+RemoteRedactionResult.swift`). The worker acts for the officer who queued the job, whose
/// role is checked as for a local redaction; events name the worker as actor and that officer in
/// their details. A report under a lease that is no longer the worker's is refused as a conflict and
/// recorded.
extension Vault {
    /// Leases the oldest due redaction to `worker` for `leaseSeconds`, or nil when none is due. A clip
    /// whose redaction is stored already is noted instead (not done twice); a clip leased
    /// `BundleRegistry.maxAttempts` times without a result gives its job up.
    public func leaseRedaction(worker: String, now: Int64, leaseSeconds: Int64) throws -> RedactionAssignment? {
        try authorize(.worker(worker), .redact)
        for _ in 0..<16 {
            guard let next = try db.transaction({ () -> (BundleRegistry.Bundle, BundleRegistry.Item, String)? in
                guard let next = try bundleRegistry.nextRedaction(now: now) else { return nil }
                let job = try bundleRegistry.get(next.bundle)
                if next.attempts >= BundleRegistry.maxAttempts {
                    let why = "the redaction of \(next.item.exhibit) was leased \(next.attempts) times without a result"
                    _ = try bundleRegistry.cancel(job.id, error: why)
                    try recordAttempt(try bundleRegistry.get(job.id), error: why)
                    return (job, next.item, "")
                }
                let parent = try catalog.find(next.item.exhibit)
                if let stored = try storedRedaction(of: parent, specSHA256: SHA256.hash(next.item.spec ?? [])) {
                    try bundleRegistry.setDerived(job.id, index: next.item.index, derived: stored.id)
                    return (job, next.item, "")
                }
                let leaseID = "RL-" + Hex.encode(try SecureRandom.bytes(16))
                try bundleRegistry.leaseRedaction(job.id, index: next.item.index, leaseID: leaseID, owner: worker,
                                                  until: now + leaseSeconds)
                return (job, next.item, leaseID)
            }) else { return nil }
            let (job, item, leaseID) = next
            guard !leaseID.isEmpty else { continue }
            do {
                return try assignment(job, item, leaseID: leaseID, worker: worker, until: now + leaseSeconds)
            } catch {
                // Refused or failed before the worker got it: a failed attempt of the clip.
                let message = (error as? CustodyError)?.message ?? String(describing: error)
                try? failRedaction(leaseID, worker: worker, error: message, now: now)
            }
        }
        return nil
    }

    /// Checks what a local redaction checks (the officer's role, the spec, the parent's catalog rows
    /// against the ledger) and records the `redact` event of the parent's bytes being read.
    private func assignment(_ job: BundleRegistry.Bundle, _ item: BundleRegistry.Item, leaseID: String,
                            worker: String, until: Int64) throws -> RedactionAssignment {
        let parent = try catalog.find(item.exhibit)
        try authorize(.officer(job.createdBy), to: .redact, exhibit: parent)
        let spec = item.spec ?? []
        guard let bounds = Self.redactionBounds(of: parent) else {
            throw CustodyError.refused("exhibit \(parent.id) cannot be redacted (unreadable, or no video stream)")
        }
        _ = try RedactionSpec.parse(spec, bounds: bounds)
        let anchored = try self.anchored(parent)
        try record(CustodyEvent(actor: .worker(worker), action: .redact, exhibit: parent.id,
                                objectSHA256: parent.sha256.hex, reason: Self.bundleRedactionReason(job),
                                details: remoteDetails(job, spec: spec, lease: leaseID, ["role": "source"])))
        var assignment = RedactionAssignment(leaseID: leaseID, leaseUntil: until, bundle: job.id, index: item.index,
                                             parent: parent.id, parentSHA256: anchored.sha256,
                                             chunkSize: parent.chunkSize, chunks: anchored.chunks, spec: spec,
                                             bounds: bounds)
        assignment.lockSeconds = try retentionRegistry.defaultKeepSecondsNow()
        return assignment
    }

    /// Moves `worker`'s lease `leaseID` on to `now + leaseSeconds` and returns its new end; a conflict
    /// (recorded) when the lease is no longer the worker's.
    public func renewRedaction(_ leaseID: String, worker: String, now: Int64, leaseSeconds: Int64) throws -> Int64 {
        try authorize(.worker(worker), .redact)
        guard try db.transaction({
            try bundleRegistry.renewRedaction(leaseID, owner: worker, until: now + leaseSeconds)
        }) else { throw lostLease(leaseID, worker: worker, "renewal") }
        return now + leaseSeconds
    }

    /// Gives lease `leaseID` back unfinished (the worker is stopping): the clip is leased again at once,
    /// the attempt not counted.
    public func releaseRedaction(_ leaseID: String, worker: String) throws {
        try endRemoteRedaction(leaseID, worker: worker, report: "release", outcome: "cancelled; nothing was stored") {
            _, _ in
        }
    }

    /// Records the worker's failed redaction: the lease ends, the job waits out a backoff that doubles
    /// with each attempt at the clip, and after the last attempt it is given up (`failed`).
    public func failRedaction(_ leaseID: String, worker: String, error: String, now: Int64) throws {
        try endRemoteRedaction(leaseID, worker: worker, report: "failure", outcome: error) { lease, job in
            if lease.attempts >= BundleRegistry.maxAttempts {
                _ = try bundleRegistry.cancel(job.id, error: error)
                try recordAttempt(try bundleRegistry.get(job.id), error: error)
            } else {
                try bundleRegistry.deferJob(job.id, until: now + BundleRegistry.backoff(afterAttempt: lease.attempts),
                                            error: error)
            }
        }
    }

    /// Ends `worker`'s lease `leaseID` with a failed `redact` event on the parent saying `outcome`, and
    /// `then` in the same transaction; a conflict (recorded) when the lease is no longer the worker's.
    private func endRemoteRedaction(_ leaseID: String, worker: String, report: String, outcome: String,
                                    then: (BundleRegistry.RedactionLease, BundleRegistry.Bundle) throws -> Void)
        throws {
        try authorize(.worker(worker), .redact)
        let ended = try db.transaction { () -> Bool in
            guard let lease = try bundleRegistry.redactionLease(leaseID, owner: worker) else { return false }
            let job = try bundleRegistry.get(lease.bundle)
            let parent = try catalog.find(lease.item.exhibit)
            try bundleRegistry.endRedactionLease(leaseID, counted: report != "release")
            try record(CustodyEvent(actor: .worker(worker), action: .redact, exhibit: parent.id,
                                    objectSHA256: parent.sha256.hex, outcome: .failed,
                                    reason: String(outcome.prefix(1000)),
                                    details: remoteDetails(job, spec: lease.item.spec ?? [], lease: leaseID, [:])))
            try then(lease, job)
            return true
        }
        guard ended else { throw lostLease(leaseID, worker: worker, report) }
    }

    /// The details of a remote redaction's events: as a local bundle redaction's (`bundle`,
    /// `spec_sha256`), the officer it is done for, the lease, and `more`.
    func remoteDetails(_ job: BundleRegistry.Bundle, spec: [UInt8], lease: String, _ more: [String: String])
        -> [String: String] {
        ["bundle": job.id, "spec_sha256": SHA256.hash(spec).hex, "officer": job.createdBy, "lease": lease]
            .merging(more) { $1 }
    }

    /// Records the refused report (`what`: renewal, success, failure, release) of a lease that is no
    /// longer `worker`'s, and returns the conflict to throw.
    func lostLease(_ leaseID: String, worker: String, _ what: String) -> CustodyError {
        let why = "lease \(leaseID.prefix(64)) is no longer worker \(worker)'s (it lapsed and the redaction was "
            + "leased again, was finished, or its job was revoked or given up): its \(what) is refused"
        refuse(.worker(worker), .redact, reason: why, details: ["lease": String(leaseID.prefix(64)), "report": what])
        return .conflict(.bundle, why)
    }
}
