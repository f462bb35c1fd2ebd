import Catalog
import CustodyCore
import Crypto
import Foundation

/// Download links: `/bundles/<id>?exp=<unix>&rcpt=<recipient>&sig=<base64url HMAC-SHA256>`, the MAC
/// over `custody-link-v1\n<id>\n<recipient>\n<exp>` with `keys/link.secret`. Whoever holds the link may
/// open it until `exp`; changing any part of it breaks the MAC. A new secret voids every link.
extension Vault {
    static let linkDomain = "custody-link-v1"

    /// The query (`exp=..&rcpt=..&sig=..`) of the link to bundle `id` for `recipient` until `expires`.
    public func linkQuery(bundle id: String, recipient: String, expires: Int64) throws -> String {
        let mac = HMACSHA256.authenticate(Self.linkMessage(id, recipient, String(expires)),
                                          key: try directory.loadLinkSecret())
        return "exp=\(expires)&rcpt=\(recipient)&sig=\(Base64.urlEncode(mac))"
    }

    /// The path and query of a built bundle's landing page, or nil while it is not built.
    public func linkPath(for bundle: BundleRegistry.Bundle) throws -> String? {
        guard let expiresAt = bundle.expiresAt, let date = Timestamp.parse(expiresAt) else { return nil }
        let query = try linkQuery(bundle: bundle.id, recipient: bundle.recipient,
                                  expires: Int64(date.timeIntervalSince1970))
        return "/bundles/\(bundle.id)?\(query)"
    }

    /// True when `sig` is the MAC of the other three, exactly as given (compared in constant time).
    /// Expiry, revocation and the rest are the caller's to check.
    public func isGenuineLink(bundle id: String, recipient: String, expires: String, sig: String) throws -> Bool {
        guard let mac = Base64.urlDecode(sig), mac.count == 32 else { return false }
        return HMACSHA256.isValid(mac, for: Self.linkMessage(id, recipient, expires),
                                  key: try directory.loadLinkSecret())
    }

    /// True when `sig` is a MAC of the other three under a link secret replaced by `rotateLinkSecret`.
    func wasSignedWithARetiredSecret(bundle id: String, recipient: String, expires: String, sig: String) throws
        -> Bool {
        guard let mac = Base64.urlDecode(sig), mac.count == 32 else { return false }
        let message = Self.linkMessage(id, recipient, expires)
        return try directory.loadRetiredLinkSecrets().contains { HMACSHA256.isValid(mac, for: message, key: $0) }
    }

    static func linkMessage(_ id: String, _ recipient: String, _ expires: String) -> [UInt8] {
        Array("\(linkDomain)\n\(id)\n\(recipient)\n\(expires)".utf8)
    }
}
