import Catalog
import MediaModel

/// An exhibit's details as the report shows them: identity and hashes, provenance, media, and how the
/// catalog stands against the ledger event that created it; derived clips as a table with their specs.
enum ExhibitFacts {
    static func list(_ s: CustodyReport.ExhibitSection) -> String {
        let x = s.exhibit
        var rows: [(String, String)] = [
            ("Size", HTMLText.bytes(x.size) + " in \(s.chunks) chunk\(s.chunks == 1 ? "" : "s")"),
            ("File name", x.filename ?? "—"),
            ("Status", x.status.rawValue + (x.unreadableReason.map { ": \($0)" } ?? "")),
            ("Officer", x.officer), ("Device", x.device),
            ("Captured", x.capturedAt.map { HTMLText.time($0) } ?? "—"),
            ("Ingested", HTMLText.time(x.ingestedAt) + (s.storedBy.map { " by \($0)" } ?? "")),
        ]
        if let serial = x.cameraSerial { rows.append(("Camera serial", serial)) }
        if let m = x.media { rows.append(("Media", media(m))) }
        if !s.cases.isEmpty { rows.append(("Cases", s.cases.joined(separator: ", "))) }
        let e = HTMLText.escape
        var out = "<dl class=\"facts\">\n<dt class=\"wide\">SHA-256</dt><dd class=\"wide\"><code class=\"sha\">"
            + "\(e(x.sha256.hex))</code></dd>\n"
        if let parent = x.parentSHA256 {
            out += "<dt class=\"wide\">Derived from</dt><dd class=\"wide\">\(e(s.parent?.id ?? "?")) "
                + "<code>\(e(parent.hex))</code>"
                + "</dd>\n"
        }
        if let spec = x.specSHA256 {
            out += "<dt class=\"wide\">Spec SHA-256</dt><dd class=\"wide\"><code>\(e(spec.hex))</code></dd>\n"
        }
        out += rows.map { "<dt>\(e($0.0))</dt><dd>\(e($0.1))</dd>" }.joined(separator: "\n")
        out += "\n<dt class=\"wide\">Ledger</dt><dd class=\"wide\">\(anchor(s))</dd>\n</dl>\n"
        if let spec = x.spec { out += "<pre class=\"spec\">\(e(spec))</pre>\n" }
        return out
    }

    /// What the ledger says of the catalog row: in agreement with the creating event, or each difference.
    static func anchor(_ s: CustodyReport.ExhibitSection) -> String {
        let e = HTMLText.escape
        guard s.ledgerDisagreements.isEmpty else {
            return "<span class=\"outcome refused\">catalog disagrees with the ledger</span> "
                + s.ledgerDisagreements.map(e).joined(separator: "; ")
        }
        guard let seq = s.creationEvent else { return "<span class=\"outcome refused\">no creating event</span>" }
        return "the catalog agrees with event \(seq), which created it (SHA-256, size, chunk list"
            + (s.exhibit.parentSHA256 == nil ? ")" : ", parent, spec)")
    }

    static func media(_ m: MediaInfo) -> String {
        var parts = [String]()
        if let v = m.video {
            let rate = v.frameRate.map { String(format: " %.4g fps", $0) } ?? ""
            parts.append("\(v.codec) \(v.width)×\(v.height)" + rate)
        }
        if let a = m.audio { parts.append("\(a.codec) \(a.sampleRate) Hz \(a.channels) ch") }
        if let d = m.durationSeconds { parts.append(String(format: "%.2f s", d)) }
        return parts.joined(separator: ", ")
    }

    static func derivedTable(_ derived: [CustodyReport.ExhibitSection]) -> String {
        let e = HTMLText.escape
        let rows = derived.map { d -> String in
            let x = d.exhibit
            let made = d.creationEvent.map { "event \($0)" } ?? "—"
            let check = d.ledgerDisagreements.isEmpty ? "" : " <span class=\"outcome refused\">catalog disagrees"
                + " with the ledger</span>"
            return "<tr><td>\(e(x.id))<br><span class=\"muted\">from \(e(d.parent?.id ?? "?"))</span></td>"
                + "<td><code>\(e(x.sha256.hex))</code><br><span class=\"muted\">\(e(HTMLText.bytes(x.size)))"
                + "</span></td><td>\(e(made))\(check)</td><td><code>\(e(x.specSHA256?.hex ?? "—"))</code>"
                + (x.spec.map { "<pre class=\"spec\">\(e($0))</pre>" } ?? "") + "</td></tr>"
        }.joined(separator: "\n")
        return """
        <table class="derived"><colgroup><col style="width:15%"><col style="width:31%"><col style="width:10%">\
        <col></colgroup>
        <thead><tr><th>Exhibit</th><th>SHA-256, size</th><th>Made by</th>\
        <th>Redaction spec (SHA-256, text)</th></tr></thead>
        <tbody>
        \(rows)
        </tbody></table>

        """
    }
}
