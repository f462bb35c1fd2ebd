import Catalog
import CustodyCore
import Crypto
import Ledger
import MediaModel

/// One clip asked for in a new bundle: an exhibit reference (`EX-000001` or a SHA-256 prefix) and,
/// to send a redacted copy, the redaction spec's bytes; `specName` (its file) names it in errors.
public struct BundleClipRequest: Sendable {
    public let exhibit: String
    public let spec: [UInt8]?
    public let specName: String?

    public init(exhibit: String, spec: [UInt8]? = nil, specName: String? = nil) {
        self.exhibit = exhibit
        self.spec = spec
        self.specName = specName
    }
}

/// What `bundle show` gives: the bundle (its job's state too) and its clips.
public struct BundleDetail: Sendable {
    public let bundle: BundleRegistry.Bundle
    public let items: [BundleRegistry.Item]
}

/// Court bundles, the officer's side: queueing a transfer job, listing, showing and revoking them.
/// Queueing and revoking are `share` events naming the bundle and the case; each refused
/// attempt (not allowed, bad input, an unknown case, bundle or exhibit, an exhibit outside the case, an
/// invalid spec) is one refused `share` event, and changes nothing. The worker's side is in
/// `Vault+BundleJobs.swift`.
extension Vault {
    /// How long a link may live: from a minute to a year.
    public static let bundleExpiry: ClosedRange<Int64> = 60...(365 * 86_400)

    /// Queues a job for a bundle of case `ref` for `recipient` (an actor ID: `j.smith@cps.gov.uk`): the
    /// clips asked for (each an exhibit of the case), or every exhibit of the case. A spec is checked
    /// against its exhibit now, so a bad one is refused at once, with its line and column.
    public func queueBundle(case ref: String, recipient: String, clips: [BundleClipRequest], expiresIn: Int64,
                            maxDownloads: Int64?, by actor: Actor) throws -> BundleDetail {
        let details = ["case": String(ref.prefix(64)), "recipient": String(recipient.prefix(64)), "change": "queue"]
        return try withBundles(details, .createBundle, by: actor) {
            guard Actor.isValidID(recipient) else {
                throw CustodyError.invalidInput(field: "recipient", "the recipient must be 1-64 letters, digits "
                                                + "or ._@- characters (e.g. j.smith@cps.gov.uk)")
            }
            guard !Actor.isReservedID(recipient) else {
                throw CustodyError.invalidInput(field: "recipient", Actor.reservedMessage(recipient, as: "recipient"))
            }
            guard Self.bundleExpiry.contains(expiresIn) else {
                throw CustodyError.invalidInput(field: "expires", "a link lives from 1 minute to 365 days")
            }
            if let maxDownloads, maxDownloads < 1 {
                throw CustodyError.invalidInput(field: "max-downloads", "the download limit must be 1 or more")
            }
            let found = try caseRegistry.get(ref)
            let members = Set(try caseRegistry.members(of: found).map(\.exhibit))
            let asked = clips.isEmpty
                ? try caseRegistry.members(of: found).map { BundleClipRequest(exhibit: $0.exhibit) } : clips
            guard !asked.isEmpty else {
                throw CustodyError.invalidInput(field: "case", "case \(found.ref) has no exhibits to send: "
                                                + "`custody case add \(found.ref) EXHIBIT...` adds them")
            }
            var seen = Set<String>()
            let items = try asked.enumerated().map { index, clip -> BundleRegistry.Item in
                let exhibit = try live(catalog.find(clip.exhibit))
                guard members.contains(exhibit.id) else {
                    throw CustodyError.invalidInput(field: "exhibit",
                                                    "exhibit \(exhibit.id) is not in case \(found.ref)")
                }
                if let spec = clip.spec { try checkSpec(spec, named: clip.specName, for: exhibit) }
                guard seen.insert(exhibit.id + (clip.spec.map { SHA256.hash($0).hex } ?? "")).inserted else {
                    throw CustodyError.invalidInput(field: "exhibit", "exhibit \(exhibit.id) is asked for twice"
                                                    + (clip.spec == nil ? "" : " with the same spec"))
                }
                return BundleRegistry.Item(index: index, exhibit: exhibit.id, spec: clip.spec)
            }
            let id = try bundleRegistry.insert(caseRef: found.ref, recipient: recipient, createdBy: actor.id,
                                               expiresIn: expiresIn, maxDownloads: maxDownloads, items: items,
                                               now: Timestamp.rfc3339())
            try record(CustodyEvent(actor: actor, action: .share, caseID: found.ref,
                                    details: ["bundle": id, "recipient": recipient, "change": "queued",
                                              "exhibits": items.map(\.exhibit).joined(separator: ",")]))
            return BundleDetail(bundle: try bundleRegistry.get(id), items: items)
        }
    }

    /// Every bundle, newest first; of one case only when `caseRef` is given. Not recorded when allowed.
    public func bundles(caseRef: String? = nil, for actor: Actor) throws -> [BundleRegistry.Bundle] {
        var details = ["change": "list"]
        details["case"] = caseRef.map { String($0.prefix(64)) }
        return try withBundles(details, .readBundles, by: actor) {
            if let caseRef { return try bundleRegistry.all(caseRef: caseRegistry.get(caseRef).ref) }
            return try bundleRegistry.all()
        }
    }

    /// One bundle and its clips. Not recorded when allowed; an unknown bundle is a refused attempt.
    public func bundleDetail(_ id: String, for actor: Actor) throws -> BundleDetail {
        try withBundles(["bundle": String(id.prefix(64)), "change": "show"], .readBundles, by: actor) {
            let found = try bundleRegistry.get(id)
            return BundleDetail(bundle: found, items: try bundleRegistry.items(of: found.id))
        }
    }

    /// Revokes bundle `id`: its link is refused from now on, and a job not yet run is stopped.
    public func revokeBundle(_ id: String, reason: String, by actor: Actor) throws -> BundleRegistry.Bundle {
        try withBundles(["bundle": String(id.prefix(64)), "change": "revoke"], .revokeBundle, by: actor) {
            guard !reason.allSatisfy(\.isWhitespace), reason.utf8.count <= 1000 else {
                throw CustodyError.invalidInput(field: "reason", "a revocation needs a reason of 1-1000 bytes")
            }
            let found = try bundleRegistry.get(id)
            try bundleRegistry.revoke(found.id, by: actor.id, reason: reason, at: Timestamp.rfc3339())
            let stopped = try bundleRegistry.cancel(found.id, error: "revoked before it was built")
            var details = ["bundle": found.id, "change": "revoked", "reason": reason]
            if stopped {
                details["job"] = "stopped"
                try removeUnclaimedZip(of: found.id)
            }
            try record(CustodyEvent(actor: actor, action: .share, caseID: found.caseRef, details: details))
            return try bundleRegistry.get(found.id)
        }
    }

    /// Refuses a spec that cannot be applied to `exhibit` (as `redact` would, before any work is queued).
    func checkSpec(_ spec: [UInt8], named name: String?, for exhibit: Exhibit) throws {
        let what = "the redaction spec " + (name.map { "\($0) " } ?? "") + "for \(exhibit.id)"
        guard let bounds = Self.redactionBounds(of: exhibit) else {
            throw CustodyError.invalidInput(field: "spec", "\(what) cannot be applied: exhibit \(exhibit.id) "
                                            + (exhibit.status == .unreadable ? "is unreadable" : "has no video"))
        }
        do { _ = try RedactionSpec.parse(spec, bounds: bounds) } catch let e as RedactionSpecError {
            throw CustodyError.invalidInput(field: "spec", "\(what) is invalid: \(e)")
        }
    }

    /// The picture and duration a spec for `exhibit` must fit, or nil when it cannot be redacted.
    static func redactionBounds(of exhibit: Exhibit) -> RedactionSpec.Bounds? {
        guard exhibit.status == .ok, let media = exhibit.media, let video = media.video else { return nil }
        let shown = video.shownSize
        return .init(width: shown.width, height: shown.height, duration: media.durationSeconds ?? .infinity)
    }

    /// Authorizes `actor` for `permission`, then runs `body` in one transaction with its events; a refusal
    /// (bad input, an unknown case, bundle or exhibit, a conflict) is recorded, after the rollback.
    func withBundles<T>(_ details: [String: String], _ permission: Permission, by actor: Actor,
                        _ body: () throws -> T) throws -> T {
        try authorize(actor, to: permission, details: details)
        do { return try db.transaction(body) } catch let e as CustodyError where e.isCallersFault {
            refuse(actor, permission.action, reason: e.message, details: details)
            throw e
        }
    }
}
