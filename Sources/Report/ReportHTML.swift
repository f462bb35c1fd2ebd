import Catalog
import CustodyCore
import Foundation
import Ledger

/// A custody report as one self-contained HTML file: inline CSS and an inline SVG timeline, no script,
/// nothing fetched from anywhere (a Content-Security-Policy of `default-src 'none'` says so to the
/// browser), laid out for A4 paper. Every text from the vault is escaped (`HTMLText.escape`).
public enum ReportHTML {
    public static func render(_ report: CustodyReport) -> String {
        let e = HTMLText.escape
        var body = header(report)
        if let c = report.caseSection { body += caseSection(c) }
        for item in report.items { body += exhibitSection(item) }
        body += timelineSection(report)
        body += bundlesSection(report.bundles,
                               withheld: report.withheld?.what.contains(CustodyReport.Withheld.bundles) ?? false)
        body += checkingSection(report)
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <title>Custody report: \(e(report.title)) — \(e(report.organization))</title>
        <style>\(ReportStyle.css)</style>
        </head>
        <body>
        <main>
        \(body)
        </main>
        </body>
        </html>

        """
    }

    static func header(_ r: CustodyReport) -> String {
        let e = HTMLText.escape
        let cp = r.ledger.checkpoint
        return """
        <header>
        <p class="org">\(e(r.organization)) · chain of custody</p>
        <h1>Custody report: \(e(r.title))</h1>
        <p class="muted">Made \(e(HTMLText.time(r.generatedAt))) by \(e(r.generatedBy.kind.rawValue)) \
        \(e(r.generatedBy.id)) · \(r.timeline.count) ledger event\(r.timeline.count == 1 ? "" : "s"), each \
        proved in the signed checkpoint of \(cp.size) events (\(e(cp.origin)))</p>
        \(r.withheld.map { "<p class=\"withheld\">\(e($0.sentence))</p>" } ?? "")
        </header>

        """
    }

    static func caseSection(_ c: CustodyReport.CaseSection) -> String {
        let e = HTMLText.escape
        let rows = c.members.map { m in
            "<tr><td>\(e(m.exhibit))</td><td>\(e(HTMLText.time(m.addedAt)))</td><td>\(e(m.addedBy))</td></tr>"
        }.joined(separator: "\n")
        return """
        <section>
        <h2>Case \(e(c.case.ref))\(c.case.title.map { " — " + e($0) } ?? "")</h2>
        <p>Created \(e(HTMLText.time(c.case.createdAt))) by \(e(c.case.createdBy)); \(c.members.count) \
        exhibit\(c.members.count == 1 ? "" : "s").</p>
        <table><thead><tr><th>Exhibit</th><th>Added</th><th>By</th></tr></thead>
        <tbody>
        \(rows)
        </tbody></table>
        </section>

        """
    }

    static func exhibitSection(_ item: CustodyReport.Item) -> String {
        let e = HTMLText.escape
        let s = item.section
        var out = "<section class=\"exhibit\">\n<h2>Exhibit \(e(s.exhibit.id))</h2>\n"
        out += ExhibitFacts.list(s)
        if !item.derived.isEmpty {
            out += "<h3>Derived clips (\(item.derived.count))</h3>\n" + ExhibitFacts.derivedTable(item.derived)
        }
        return out + "</section>\n"
    }

    static func timelineSection(_ r: CustodyReport) -> String {
        let e = HTMLText.escape
        let rows = r.timeline.map { entry -> String in
            let v = entry.event
            let subject = [v.exhibit, v.caseID.map { "case " + $0 }].compactMap { $0 }
                .map(e).joined(separator: ", ")
            let said = ([v.reason].compactMap { $0 } + v.details.sorted { $0.key < $1.key }.map {
                "\($0)=\(HTMLText.abbreviatingHashes($1))"
            }).joined(separator: "; ")
            return "<tr><td class=\"num\">\(entry.leafIndex)</td><td>\(HTMLText.dayAndTime(v.time))</td><td>"
                + "\(e(v.actor.kind.rawValue)) "
                + "\(e(v.actor.id))</td><td>\(e(v.action.rawValue))</td><td>\(subject)</td><td><span class=\"outcome "
                + "\(v.outcome.rawValue)\">\(e(v.outcome.rawValue))</span></td><td class=\"said\">\(e(said))</td></tr>"
        }.joined(separator: "\n")
        return """
        <section class="timeline">
        <h2>Timeline</h2>
        \(TimelineChart(events: r.timeline.map(\.event)).svg)
        <table class="events"><colgroup><col style="width:5%"><col style="width:13%"><col style="width:14%">\
        <col style="width:9%"><col style="width:14%"><col style="width:9%"><col></colgroup>
        <thead><tr><th>Leaf</th><th>Time (UTC)</th><th>Actor</th><th>Action</th>\
        <th>Exhibit / case</th><th>Outcome</th><th>Reason and details</th></tr></thead>
        <tbody>
        \(rows)
        </tbody></table>
        </section>

        """
    }

    static func bundlesSection(_ bundles: [CustodyReport.BundleSection], withheld: Bool) -> String {
        if withheld {
            return "<section><h2>Court bundles</h2><p class=\"muted\">Not shown for your role.</p></section>\n"
        }
        guard !bundles.isEmpty else {
            return "<section><h2>Court bundles</h2><p class=\"muted\">None sent.</p></section>\n"
        }
        return "<section><h2>Court bundles (\(bundles.count))</h2>\n"
            + bundles.map(BundleFacts.html).joined(separator: "\n") + "</section>\n"
    }

    static func checkingSection(_ r: CustodyReport) -> String {
        let e = HTMLText.escape
        let cp = r.ledger.checkpoint
        let proofs = r.timeline.map { entry in
            "<h4>Event \(entry.leafIndex) · leaf hash <code>\(e(entry.leafHash))</code></h4>\n"
                + "<pre class=\"proof\">\(e(entry.proof.text))</pre>"
        }.joined(separator: "\n")
        return """
        <section class="checking">
        <h2>Checking this report</h2>
        <p>Every event above is a leaf of the custody ledger, an RFC 6962 Merkle tree. The signed checkpoint \
        below (C2SP <code>tlog-checkpoint</code>, Ed25519) fixes the tree of the first \(cp.size) events by its \
        root; each event's inclusion proof (C2SP <code>tlog-proof</code>) leads from the event to that root. \
        Compare the checkpoint with one kept outside the force (<code>custody ledger verify --checkpoint \
        FILE</code>, or <code>GET /ledger/consistency?from=\(cp.size)</code>), and the key with the one the \
        force publishes (<code>GET /ledger/key</code>).</p>
        <div class="keys">
        <div><h3>Checkpoint</h3><pre>\(e(cp.note))</pre></div>
        <div><h3>Ledger key</h3><pre>\(e(r.ledger.verifierKey))</pre><p class="muted">Root \
        <code>\(e(cp.root.hex))</code></p></div>
        </div>
        <details class="proofs">
        <summary>Inclusion proofs of the \(r.timeline.count) events (C2SP tlog-proof, the event's leaf in its \
        <code>extra</code> line): open to read; also in <code>custody report --json</code>.</summary>
        \(proofs)
        </details>
        </section>

        """
    }
}
