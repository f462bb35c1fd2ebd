import CustodyCore
import Foundation
import Ledger

/// The address recipients reach the service at, printed before every download link's path: the vault
/// setting `public_url` (`custody init --public-url URL`, changeable by giving it again).
extension Vault {
    public static let defaultPublicURL = "http://127.0.0.1:8080"

    /// The base URL links start with, without a trailing `/` (default `http://127.0.0.1:8080`).
    public func publicURL() throws -> String {
        try catalog.setting("public_url") ?? Self.defaultPublicURL
    }

    /// Sets the base URL of links (checked by `checkedPublicURL`) for `actor`, who must be allowed to
    /// manage the vault's keys (it decides where every link sent from now on points): refused and
    /// recorded otherwise, recorded as a `key` event when it changes. Links printed before keep the old
    /// address; their signatures do not cover it.
    public func setPublicURL(_ url: String, by actor: Actor) throws {
        let checked = try Self.checkedPublicURL(url, field: "--public-url")
        guard try catalog.setting("public_url") != checked else { return }
        let details = ["setting": "public_url", "value": checked]
        try authorize(actor, to: .manageKeys, details: details)
        try db.transaction {
            try catalog.setSetting("public_url", checked)
            try record(CustodyEvent(actor: actor, action: .key, details: details))
        }
    }

    /// `url` without a trailing `/` when it is an absolute http(s) URL with a host and nothing after
    /// its path (no user, query or fragment), at most 2048 bytes; otherwise an `invalidInput` naming `field`.
    public static func checkedPublicURL(_ url: String, field: String) throws -> String {
        guard url.utf8.count <= 2048, let parsed = URLComponents(string: url),
              ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), let host = parsed.host, !host.isEmpty,
              parsed.user == nil, parsed.password == nil, parsed.query == nil, parsed.fragment == nil,
              url.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw CustodyError.invalidInput(field: field, "\(field) must be an http(s) URL with a host and no "
                                            + "query, not \(url.prefix(100))")
        }
        var trimmed = url
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        return trimmed
    }
}
