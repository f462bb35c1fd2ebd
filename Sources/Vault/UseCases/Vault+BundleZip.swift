import Catalog
import CustodyCore
import Ledger

/// A built court bundle's ZIP as an officer takes a copy (`custody bundle download`), not through its link.
public struct BundleZip: Sendable {
    public let bundle: BundleRegistry.Bundle
    public let path: String
    /// The size and SHA-256 (hex) recorded when it was built.
    public let size: Int64
    public let sha256: String
}

extension Vault {
    /// The ZIP of built bundle `id` for `actor`, who must be allowed to make bundles; a `download`
    /// event naming the officer (with `details`) is recorded first. Not counted against the link's
    /// `max_downloads`. A bundle not built, revoked or removed is refused and recorded.
    public func bundleZip(_ id: String, by actor: Actor, details: [String: String] = [:]) throws -> BundleZip {
        var details = details
        details["bundle"] = String(id.prefix(64))
        try authorize(actor, to: .createBundle, details: details)
        do {
            let bundle = try bundleRegistry.get(id)
            guard bundle.state == .done, let size = bundle.size, let sha256 = bundle.sha256 else {
                throw CustodyError.conflict(.bundle, "bundle \(bundle.id) is \(bundle.state.rawValue), not built")
            }
            if bundle.revokedAt != nil || bundle.removedAt != nil {
                let what = bundle.revokedAt != nil ? "revoked" : "removed"
                throw CustodyError.conflict(.bundle, "bundle \(bundle.id) was \(what): its ZIP is no longer given out")
            }
            try record(CustodyEvent(actor: actor, action: .download, caseID: bundle.caseRef, objectSHA256: sha256,
                                    details: details))
            return BundleZip(bundle: bundle, path: directory.bundleZip(bundle.id), size: size, sha256: sha256)
        } catch let e as CustodyError where e.isCallersFault {
            refuse(actor, .download, reason: e.message, details: details)
            throw e
        }
    }
}
