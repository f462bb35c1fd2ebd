import Catalog
import Crypto
import Ledger

/// A court bundle as the report shows it: who asked for it, for whom, which clips, the ZIP's SHA-256,
/// its state, and every download response of its link.
enum BundleFacts {
    static func html(_ s: CustodyReport.BundleSection) -> String {
        let e = HTMLText.escape
        let b = s.bundle
        let clips = s.items.map { item in
            item.exhibit + (item.spec.map { " redacted (spec \(SHA256.hash($0).hex.prefix(12))…) as "
                + (item.derived ?? "not yet made") } ?? "")
        }.joined(separator: ", ")
        var state = b.state.rawValue
        if let at = b.builtAt { state += ", built \(HTMLText.time(at))" }
        if let at = b.revokedAt {
            state += ", revoked \(HTMLText.time(at)) by \(b.revokedBy ?? "?")"
                + (b.revokeReason.map { ": \($0)" } ?? "")
        }
        if let at = b.removedAt { state += ", ZIP removed \(HTMLText.time(at))" }
        let limit = b.maxDownloads.map { " of \($0) allowed" } ?? ""
        let rows: [(String, String)] = [
            ("Case", b.caseRef), ("Recipient", b.recipient),
            ("Asked for", "\(HTMLText.time(b.createdAt)) by \(b.createdBy)"), ("State", state),
            ("Clips", clips), ("Link expires", b.expiresAt.map { HTMLText.time($0) } ?? "—"),
            ("Downloads", "\(b.downloads) complete\(limit)"),
        ]
        var out = "<h3>Bundle \(e(b.id))</h3>\n<dl class=\"facts\">\n"
        if let sha = b.sha256 {
            out += "<dt class=\"wide\">ZIP SHA-256</dt><dd class=\"wide\"><code>\(e(sha))</code>"
                + (b.size.map { " <span class=\"muted\">\(e(HTMLText.bytes($0)))</span>" } ?? "") + "</dd>\n"
        }
        out += rows.map { "<dt>\(e($0.0))</dt><dd>\(e($0.1))</dd>" }.joined(separator: "\n") + "\n</dl>\n"
        guard !s.downloads.isEmpty else { return out + "<p class=\"muted\">Never downloaded.</p>\n" }
        let lines = s.downloads.map { v -> String in
            let what = v.details["bytes_sent"].map { "sent \($0) bytes" }
                ?? "starting, \(v.details["bytes"] ?? "?") bytes"
            let range = v.details["range"].map { " (\($0))" } ?? ""
            let peer = v.details["remote"].map { " from \($0)" } ?? ""
            return "<tr><td class=\"num\">\(v.seq)</td><td class=\"nowrap\">\(e(HTMLText.time(v.time)))</td>"
                + "<td>\(e(v.actor.id))\(e(peer))</td><td>\(e(what + range))</td><td><span class=\"outcome "
                + "\(v.outcome.rawValue)\">\(e(v.outcome.rawValue))</span>"
                + "\(e(v.reason.map { " " + $0 } ?? ""))</td></tr>"
        }.joined(separator: "\n")
        return out + """
        <table class="downloads"><thead><tr><th>Leaf</th><th>Time</th><th>Who</th><th>Download</th>\
        <th>Outcome</th></tr></thead>
        <tbody>
        \(lines)
        </tbody></table>

        """
    }
}
