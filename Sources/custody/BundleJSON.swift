import Catalog
import CustodyCore
import Crypto
import Foundation
import Vault

/// The JSON shape of a bundle in `bundle create|list|show|revoke --json`: every field always present
/// (null when unset), so scripts need not guess.
enum BundleJSON {
    static func object(_ b: BundleRegistry.Bundle, items: [BundleRegistry.Item]? = nil, link: String?)
        -> [String: Any] {
        func value(_ v: Any?) -> Any { v ?? NSNull() }
        var o: [String: Any] = [
            "id": b.id, "case": b.caseRef, "recipient": b.recipient, "created_by": b.createdBy,
            "created_at": b.createdAt, "expires_in": b.expiresIn, "max_downloads": value(b.maxDownloads),
            "state": b.state.rawValue, "attempts": b.attempts, "max_attempts": BundleRegistry.maxAttempts,
            "lease_owner": value(b.leaseOwner), "lease_until": value(b.leaseUntil), "next_try_at": b.nextTryAt,
            "error": value(b.error), "step": value(b.step), "progress": value(b.progress), "size": value(b.size),
            "sha256": value(b.sha256), "built_at": value(b.builtAt), "checkpoint_size": value(b.checkpointSize),
            "expires_at": value(b.expiresAt), "downloads": b.downloads, "revoked": b.revokedAt != nil,
            "revoked_at": value(b.revokedAt), "revoked_by": value(b.revokedBy), "revoke_reason": value(b.revokeReason),
            "removed_at": value(b.removedAt), "link": value(link),
        ]
        if let items {
            o["items"] = items.map { i -> [String: Any] in
                ["exhibit": i.exhibit, "spec_sha256": value(i.spec.map { SHA256.hash($0).hex }),
                 "derived": value(i.derived), "sent": value(i.sent)]
            }
        }
        return o
    }
}

/// A bundle's link as the CLI prints it: the landing page's path and query after the vault's public
/// URL (`custody init --public-url`); nil while it is not built, and once revoked or removed.
enum BundleLink {
    static func url(_ vault: Vault, _ bundle: BundleRegistry.Bundle) -> String? {
        guard bundle.state == .done, bundle.revokedAt == nil, bundle.removedAt == nil,
              let path = try? vault.linkPath(for: bundle), let base = try? vault.publicURL() else { return nil }
        return base + path
    }
}
