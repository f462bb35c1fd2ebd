import Catalog
import CourtBundle
import CustodyCore
import Foundation
import Ledger
import POSIX
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A download link as it arrived: the bundle ID of its path and the three values of its query,
/// exactly as given (see `Vault+Links.swift`).
public struct DownloadLink: Sendable, Equatable {
    public let bundle: String
    public let recipient: String
    public let expires: String
    public let sig: String

    public init(bundle: String, recipient: String, expires: String, sig: String) {
        self.bundle = bundle
        self.recipient = recipient
        self.expires = expires
        self.sig = sig
    }

    /// Who a refused attempt with this link is recorded against: the recipient it names when that can
    /// be an actor ID (a forged link names whom it likes: the reason says it was forged), else
    /// `unauthenticated`.
    public var claimedRecipient: Actor {
        Actor(id: Actor.isValidID(recipient) ? recipient : Actor.unauthenticatedID, kind: .recipient)
    }
}

/// Why a link is refused: the reason of its refused `download` event.
public enum LinkRefusal: String, Error, Sendable {
    /// No built bundle has that ID (or it is no bundle ID).
    case unknown = "unknown bundle"
    /// The signature is not the link secret's over the bundle, recipient and expiry, or the recipient
    /// is not the bundle's.
    case forged
    /// Genuine, but signed with a link secret since replaced (`custody rotate-key link`).
    case retiredKey = "signed with a retired link secret"
    case expired, revoked
    /// The sweeper removed the ZIP.
    case removed
    /// `max_downloads` completed downloads were made already.
    case overLimit = "over limit"
}

/// A link that passed every check of `openLink`: the only way to a recipient's use cases below.
public struct OpenedLink: Sendable {
    public let bundle: BundleRegistry.Bundle
    /// `Actor(id: <the bundle's recipient>, kind: .recipient)`.
    public let recipient: Actor
    /// The ZIP's size and SHA-256 (hex), as recorded when it was built.
    public let size: Int64
    public let sha256: String
    /// Where the ZIP is.
    public let zipPath: String
}

/// One response's part of the ZIP: `length` bytes from `offset` (the whole file, or one range).
public struct DownloadPart: Sendable, Equatable {
    public let offset: Int64
    public let length: Int64

    public init(offset: Int64, length: Int64) {
        self.offset = offset
        self.length = length
    }

    /// `bytes a-b/size` as in Content-Range (`bytes */size` for none).
    func range(of size: Int64) -> String {
        length > 0 ? "bytes \(offset)-\(offset + length - 1)/\(size)" : "bytes */\(size)"
    }
}

/// What the landing page shows: the bundle, its case and each clip as the bag names it.
public struct BundleView: Sendable {
    public struct Clip: Sendable, Equatable {
        public let exhibit: String
        /// The clip's path in the ZIP (`BN-000001/data/EX-000004_clip.mp4`).
        public let path: String
        public let size: Int64
        public let sha256: String
    }

    public let organization: String
    public let bundle: BundleRegistry.Bundle
    public let caseTitle: String?
    public let clips: [Clip]
    public let size: Int64
    public let sha256: String
    /// The address the ledger endpoints are reached at (`vault.publicURL()`).
    public let publicURL: String
}

/// The recipient's side of a court bundle: opening its link, the landing page, each download
/// response, and the sweeper removing lapsed ZIPs. A recipient is authorized by a genuine link alone
/// (`openLink` checks it); a refused link records nothing here: the service records it within its
/// refusal budget (`recordLinkRefusal`). Events: a landing page seen is a `view` event {bundle,
/// page: landing}; each download response is a `download` event before its first byte and another
/// after its last (bytes sent, complete or not); the sweeper's removal a `share` event {change: removed}.
extension Vault {
    /// The bundle `link` opens at `now` (Unix seconds), or the `LinkRefusal` why not, in this order:
    /// unknown, forged (or signed with a retired secret), expired, revoked, removed, over limit.
    public func openLink(_ link: DownloadLink, now: Int64) throws -> OpenedLink {
        guard BundleID.number(of: link.bundle) != nil, let bundle = try bundleRegistry.find(link.bundle),
              bundle.state == .done, let size = bundle.size, let sha256 = bundle.sha256,
              let expiresAt = bundle.expiresAt.flatMap(Timestamp.parse) else { throw LinkRefusal.unknown }
        guard try isGenuineLink(bundle: link.bundle, recipient: link.recipient, expires: link.expires, sig: link.sig),
              link.recipient == bundle.recipient else {
            let retired = try wasSignedWithARetiredSecret(bundle: link.bundle, recipient: link.recipient,
                                                          expires: link.expires, sig: link.sig)
            throw retired && link.recipient == bundle.recipient ? LinkRefusal.retiredKey : LinkRefusal.forged
        }
        guard let exp = Int64(link.expires), now < exp, Double(now) < expiresAt.timeIntervalSince1970 else {
            throw LinkRefusal.expired
        }
        if bundle.revokedAt != nil { throw LinkRefusal.revoked }
        if bundle.removedAt != nil { throw LinkRefusal.removed }
        if let limit = bundle.maxDownloads,
           try bundle.downloads >= limit || bundleRegistry.bytesServed(bundle.id) >= Self.byteBudget(limit, size) {
            throw LinkRefusal.overLimit
        }
        return OpenedLink(bundle: bundle, recipient: Actor(id: bundle.recipient, kind: .recipient), size: size,
                          sha256: sha256, zipPath: directory.bundles + "/" + BundleLayout.zipName(bundle.id))
    }

    /// The completed downloads of `opened`'s bundle now (its row may have changed since it was opened).
    public func downloads(of opened: OpenedLink) throws -> Int64 {
        try bundleRegistry.get(opened.bundle.id).downloads
    }

    /// Records a refused link (`why`) against its claimed recipient; the write must succeed.
    public func recordLinkRefusal(_ link: DownloadLink, _ why: LinkRefusal, details: [String: String]) throws {
        var details = details
        details["bundle"] = String(link.bundle.prefix(64))
        try refuseRecorded(link.claimedRecipient, .download, reason: why.rawValue, details: details)
    }

    /// What the landing page of `opened` shows; records the `view` event first.
    public func viewLandingPage(_ opened: OpenedLink, details: [String: String]) throws -> BundleView {
        let bundle = opened.bundle
        let clips = try bundleRegistry.items(of: bundle.id).compactMap { item -> BundleView.Clip? in
            guard let sent = item.sent else { return nil }
            let exhibit = try catalog.find(sent)
            let path = bundle.id + "/" + BundleLayout.clip(exhibit: exhibit.id, filename: exhibit.filename)
            return BundleView.Clip(exhibit: exhibit.id, path: path, size: exhibit.size, sha256: exhibit.sha256.hex)
        }
        let view = BundleView(organization: try organization(), bundle: bundle,
                              caseTitle: try caseRegistry.find(bundle.caseRef)?.title, clips: clips,
                              size: opened.size, sha256: opened.sha256, publicURL: try publicURL())
        var details = details
        details["bundle"] = bundle.id
        details["page"] = "landing"
        try record(CustodyEvent(actor: opened.recipient, action: .view, caseID: bundle.caseRef,
                                objectSHA256: opened.sha256, details: details))
        return view
    }

    /// The most bytes of a ZIP of `size` bytes a link with `max_downloads` `limit` is sent, whatever the
    /// ranges asked for (a range short of the last byte is no counted copy, so without this a recipient
    /// could fetch any number of copies in pieces): `limit` copies, and one more for what responses
    /// broken off sent (a download that breaks is then fetched again, not always resumed).
    static func byteBudget(_ limit: Int64, _ size: Int64) -> Int64 {
        let (budget, overflow) = (limit + 1).multipliedReportingOverflow(by: size)
        return overflow ? Int64.max : budget
    }

    /// Records that `part` of the ZIP is about to be sent (`sending` false for HEAD: nothing), before its
    /// first byte. With `max_downloads`, the part is reserved against the link's `byteBudget`
    /// (`finishDownload` gives back what was not sent); past it the link is refused as `over limit`.
    public func startDownload(_ opened: OpenedLink, part: DownloadPart, sending: Bool = true,
                              details: [String: String]) throws {
        var details = details
        details["bundle"] = opened.bundle.id
        details["range"] = part.range(of: opened.size)
        details["bytes"] = String(part.length)
        try db.transaction {
            if sending, let limit = opened.bundle.maxDownloads,
               try !bundleRegistry.reserveBytes(opened.bundle.id, part.length,
                                                budget: Self.byteBudget(limit, opened.size)) {
                throw LinkRefusal.overLimit
            }
            try record(CustodyEvent(actor: opened.recipient, action: .download, caseID: opened.bundle.caseRef,
                                    objectSHA256: opened.sha256, details: details))
        }
    }

    /// Records how a download response ended: `sent` bytes of `part`, `complete` when all of them went
    /// out. A complete response that sent the ZIP's last byte counts as a download (against
    /// `max_downloads`), in the same transaction. An incomplete one is a `failed` event.
    public func finishDownload(_ opened: OpenedLink, part: DownloadPart, sent: Int64, complete: Bool,
                               details: [String: String]) throws {
        var details = details
        details["bundle"] = opened.bundle.id
        details["range"] = part.range(of: opened.size)
        details["bytes_sent"] = String(sent)
        details["complete"] = String(complete)
        let lastByte = complete && part.length > 0 && part.offset + part.length == opened.size
        details["download_completed"] = String(lastByte)
        try db.transaction {
            if lastByte { details["downloads"] = String(try bundleRegistry.countDownload(opened.bundle.id)) }
            if opened.bundle.maxDownloads != nil, sent < part.length {
                try bundleRegistry.releaseBytes(opened.bundle.id, part.length - sent)
            }
            try record(CustodyEvent(actor: opened.recipient, action: .download, caseID: opened.bundle.caseRef,
                                    objectSHA256: opened.sha256, outcome: complete ? .ok : .failed,
                                    reason: complete ? nil : "the connection ended after \(sent) of "
                                        + "\(part.length) bytes", details: details))
        }
    }

    /// The sweeper's round (custody itself): removes the ZIP of every built bundle whose expiry has
    /// passed at `now` or that was revoked, each after recording a `share` event {change: removed} and
    /// marking the row. The rows and every event stay. Returns the bundles removed.
    public func removeLapsedBundles(now: Int64, by actor: Actor = .system) throws -> [BundleRegistry.Bundle] {
        var removed = [BundleRegistry.Bundle]()
        for bundle in try bundleRegistry.builtNotRemoved() {
            let why: String
            if bundle.revokedAt != nil {
                why = "revoked"
            } else if let expiry = bundle.expiresAt.flatMap(Timestamp.parse),
                      Double(now) >= expiry.timeIntervalSince1970 {
                why = "expired"
            } else {
                continue
            }
            try authorize(actor, .share, details: ["bundle": bundle.id, "change": "removed"])
            let at = Timestamp.rfc3339(Date(timeIntervalSince1970: Double(now)))
            let marked = try db.transaction { () -> Bool in
                guard try bundleRegistry.get(bundle.id).removedAt == nil else { return false }  // another sweeper's
                try bundleRegistry.markRemoved(bundle.id, at: at)
                try record(CustodyEvent(actor: actor, action: .share, caseID: bundle.caseRef,
                                        objectSHA256: bundle.sha256,
                                        details: ["bundle": bundle.id, "change": "removed", "why": why]))
                return true
            }
            guard marked else { continue }
            // A download under way keeps its open file; a crash before this leaves a file never served again.
            let path = directory.bundles + "/" + BundleLayout.zipName(bundle.id)
            if unlink(path) != 0 && errno != ENOENT {
                throw CustodyError.failure("cannot remove \(path)", cause: SystemError(call: "unlink", path: path,
                                                                                        errno: errno))
            }
            removed.append(bundle)
        }
        return removed
    }
}
