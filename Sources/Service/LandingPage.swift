import CourtBundle
import CustodyCore
import Foundation
import Report
import Vault

/// The landing page of a download link: plain HTML and inline CSS, no script, readable on a phone
/// and on paper. Every text from the vault is escaped (names come from docks and officers).
enum LandingPage {
    /// The page of `view`; `query` is the link's query, repeated on the download button.
    static func html(_ view: BundleView, query: String) -> String {
        let b = view.bundle
        let zip = BundleLayout.zipName(b.id)
        let base = view.publicURL
        var rows = [("Case", b.caseRef + (view.caseTitle.map { " — \($0)" } ?? "")), ("Recipient", b.recipient),
                    ("Shared by", "\(b.createdBy), \(day(b.createdAt))"), ("Expires", day(b.expiresAt ?? ""))]
        if let limit = b.maxDownloads { rows.append(("Downloads", "\(b.downloads) of \(limit) used")) }
        let facts = rows.map { "<dt>\(e($0.0))</dt><dd>\(e($0.1))</dd>" }.joined(separator: "\n")
        let clips = view.clips.map { clip in
            """
            <li><span class="name">\(e(clip.path))</span><br><span class="muted">\(e(size(clip.size))) · \
            \(e(clip.exhibit))</span><br><code>\(e(clip.sha256))</code></li>
            """
        }.joined(separator: "\n")
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <title>\(e(b.id)) — evidence from \(e(view.organization))</title>
        <style>\(style)</style>
        </head>
        <body>
        <main>
        <p class="org">\(e(view.organization))</p>
        <h1>Evidence bundle <span class="id">\(e(b.id))</span></h1>
        <dl>
        \(facts)
        </dl>
        <section class="file">
        <h2>\(e(zip))</h2>
        <p>\(e(size(view.size))) · SHA-256</p>
        <p><code id="sha256">\(e(view.sha256))</code></p>
        <p><a class="button" href="/bundles/\(e(b.id))/\(e(zip))?\(e(query))" download="\(e(zip))">\
        Download \(e(zip))</a></p>
        <p class="muted">A broken download can be resumed (<code>curl -C - -o \(e(zip)) 'URL'</code>).
        Each download is recorded in the custody ledger.</p>
        </section>
        <h2>Clips (\(view.clips.count))</h2>
        <ul class="clips">
        \(clips)
        </ul>
        <h2>How to check it</h2>
        <ol class="steps">
        <li>The file is the one sent: <pre>sha256sum \(e(zip))</pre> prints the SHA-256 above.</li>
        <li>Unpack it: <pre>unzip \(e(zip))\ncd \(e(b.id))</pre></li>
        <li>The signature covers every file (through <code>tagmanifest-sha256.txt</code>):
        <pre>openssl pkeyutl -verify -pubin -inkey custody/ledger-key.pem \\\n  -rawin -in tagmanifest-sha256.txt \
        -sigfile custody/signature</pre>
        prints <code>Signature Verified Successfully</code>. Compare the key with the one
        \(e(view.organization)) publishes at <code>\(e(base))/ledger/key</code>.</li>
        <li>Every file matches its manifest (BagIt, <code>pip install bagit</code>):
        <pre>bagit.py --validate .</pre></li>
        <li>All of it, with every custody event and its proof, in one step:
        <pre>custody bundle verify \(e(zip)) --server \(e(base))</pre></li>
        </ol>
        <h2>Public ledger</h2>
        <ul class="plain">
        <li><code>\(e(base))/ledger/checkpoint</code>: the newest signed checkpoint</li>
        <li><code>\(e(base))/ledger/consistency?from=N</code>: proof that the log still extends the checkpoint \
        of size N in the bundle (<code>custody/checkpoint</code>)</li>
        <li><code>\(e(base))/ledger/key</code>: the ledger's public key</li>
        </ul>
        </main>
        </body>
        </html>

        """
    }

    static let style = """
        *{box-sizing:border-box}\
        body{margin:0;background:#f3f5f8;color:#1b1f24;font:16px/1.5 system-ui,-apple-system,"Segoe UI",\
        Roboto,sans-serif}\
        main{max-width:46rem;margin:0 auto;padding:1.25rem;background:#fff;min-height:100vh}\
        .org{margin:0;color:#44515f;font-weight:600;letter-spacing:.02em;text-transform:uppercase;font-size:.85rem}\
        h1{font-size:1.6rem;margin:.2rem 0 1rem;border-bottom:4px solid #1d4f91;padding-bottom:.4rem}\
        h2{font-size:1.15rem;margin:1.6rem 0 .5rem;color:#1d4f91}\
        dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;margin:0}\
        dt{color:#44515f}dd{margin:0;font-weight:600;overflow-wrap:anywhere}\
        .file{margin-top:1.4rem;padding:1rem;border:1px solid #c9d3df;border-radius:.5rem;background:#f8fafc}\
        .file h2{margin-top:0}\
        code,pre{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,monospace;font-size:.85rem}\
        code{overflow-wrap:anywhere;word-break:break-all}\
        #sha256{display:block;padding:.5rem;background:#fff;border:1px solid #c9d3df;border-radius:.3rem}\
        pre{white-space:pre-wrap;word-break:break-all;background:#f1f3f6;padding:.5rem;border-radius:.3rem;\
        margin:.3rem 0}\
        .button{display:inline-block;background:#1d4f91;color:#fff;text-decoration:none;font-weight:700;\
        padding:.8rem 1.3rem;border-radius:.4rem;font-size:1.05rem}\
        .button:hover,.button:focus{background:#163d70}\
        .id{white-space:nowrap}\
        .muted{color:#5b6673;font-size:.9rem}\
        .clips{list-style:none;padding:0;margin:0}\
        .clips li{padding:.6rem 0;border-bottom:1px solid #e3e8ee}\
        .name{font-weight:600;overflow-wrap:anywhere}\
        .steps li{margin-bottom:.6rem}.plain{padding-left:1.2rem}\
        @media (min-width:700px){main{margin:2rem auto;min-height:0;border-radius:.6rem;\
        box-shadow:0 1px 4px rgba(0,0,0,.12);padding:2rem 2.5rem}}\
        @media print{body{background:#fff}main{box-shadow:none;margin:0;max-width:none}\
        .button{display:none}a{color:inherit}}
        """

    /// HTML-escaped text: safe in element content and in quoted attributes.
    static func e(_ text: String) -> String { HTMLText.escape(text) }

    /// `2026-12-21 14:00 UTC` of an RFC 3339 time, or the text as it is.
    static func day(_ rfc3339: String) -> String {
        guard let date = Timestamp.parse(rfc3339) else { return rfc3339 }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_GB_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "d MMMM yyyy, HH:mm 'UTC'"
        return f.string(from: date)
    }

    /// `1.2 GB (1 234 567 890 bytes)`.
    static func size(_ bytes: Int64) -> String {
        let units = ["bytes", "kB", "MB", "GB", "TB"]
        var value = Double(bytes), unit = 0
        while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
        let short = unit == 0 ? "\(bytes) bytes" : "\(String(format: "%.1f", value)) \(units[unit])"
        return unit == 0 ? short : "\(short) (\(bytes) bytes)"
    }
}
