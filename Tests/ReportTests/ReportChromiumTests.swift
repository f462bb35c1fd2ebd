import Catalog
import CustodyCore
import Foundation
import Report
import TestSupport
import XCTest
@testable import Vault

/// The HTML report as a browser and a printer see it: headless Chromium (Debian `chromium`) prints it
/// to PDF and takes a screenshot; poppler's `pdftotext` and `pdfinfo` read the PDF. Set
/// CUSTODY_REPORT_OUTPUT=DIR to keep the HTML, PDF and PNG for a look.
final class ReportChromiumTests: ReportTestCase {
    static let hostileName = "<script>document.title=String.fromCharCode(80,87,78,69,68)</script>&amp;.mp4"

    func testAShortReportPrintsOnOneA4PageAndShowsTheExhibitsSHA256() throws {
        let exhibit = try ingest("bodycam-a.mp4")
        _ = try vault.show(exhibit.id, by: supervisor)
        let out = try render(try vault.report(exhibit.id, by: supervisor), name: "exhibit")

        let text = try pdfText(out.pdf)
        XCTAssertTrue(text.contains(exhibit.sha256.hex), "the PDF's text holds the SHA-256:\n\(text.prefix(800))")
        XCTAssertTrue(text.contains("Timeline"))
        let info = try tool("pdfinfo", [out.pdf]).stdout
        XCTAssertNotNil(info.range(of: #"Pages:\s+1\n"#, options: .regularExpression), "one page:\n\(info)")
        XCTAssertNotNil(info.range(of: #"Page size:\s+59[45]\.\d+ x 841\.\d+ pts \(A4\)"#, options: .regularExpression),
                        "A4:\n\(info)")
        XCTAssertTrue(out.dom.contains(exhibit.sha256.hex), "the DOM holds the SHA-256")
        XCTAssertTrue(out.dom.contains("<svg"), "the timeline is drawn as inline SVG")
        let ink = try PNGProbe.nonWhitePixels(out.png)
        XCTAssertGreaterThan(ink, 20_000, "the screenshot is not blank: \(ink) pixels of ink")
        XCTAssertGreaterThan(try PNGProbe.colours(out.png), 50)
    }

    func testAFileNameWithAScriptInItIsShownAsTextNotRun() throws {
        let exhibit = try ingest("bodycam-a.mp4", filename: Self.hostileName)
        let html = ReportHTML.render(try vault.report(exhibit.id, by: supervisor))
        XCTAssertFalse(html.lowercased().contains("<script"), "no script element in the file")
        let out = try render(try vault.report(exhibit.id, by: supervisor), name: "script")
        XCTAssertFalse(out.dom.contains("PWNED"), "the script did not run")
        XCTAssertFalse(out.dom.lowercased().contains("<script"), "no script element in the DOM")
        XCTAssertTrue(out.dom.contains("&lt;script&gt;document.title="), "the name is in the page as text")
        let text = try pdfText(out.pdf)
        XCTAssertTrue(text.filter { !$0.isWhitespace }.contains(Self.hostileName),
                      "the printed page shows the name as it is (wrapped):\n\(text.prefix(1500))")
        XCTAssertFalse(text.contains("PWNED"))
    }

    func testACaseReportWithARedactionABundleItsDownloadsAndARefusalRenders() throws {
        let a = try ingest("bodycam-a.mp4"), b = try ingest("bodycam-b.mp4")
        let spec = Array(try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("redaction-spec.json"))))
        let derived = try vault.redact(a, spec: spec, reason: "CPS 17", actor: supervisor).exhibit
        _ = try vault.createCase("CPS/2026/1187", title: "R v <Example> & Another", by: supervisor)
        _ = try vault.addToCase("CPS/2026/1187", exhibits: [a.id, b.id], by: supervisor)
        let bundle = try downloadedBundle(case: "CPS/2026/1187")
        XCTAssertThrowsError(try vault.report(a.id, by: .officer("PC-9")))  // refused, recorded
        let report = try vault.report("CPS/2026/1187", by: supervisor)
        let out = try render(report, name: "case")
        for seq in report.timeline.map(\.event.seq) {
            XCTAssertTrue(out.dom.contains(">\(seq)</text>"), "event \(seq)'s mark is labelled")
        }
        for shown in [a.sha256.hex, b.sha256.hex, derived.sha256.hex, bundle, "j.smith@cps.gov.uk", "192.0.2.7",
                      "R v &lt;Example&gt; &amp; Another", "officer PC-9 is not registered"] {
            XCTAssertTrue(out.dom.contains(shown), "the DOM shows \(shown)")
        }
        let text = try pdfText(out.pdf)
        XCTAssertTrue(text.contains(b.sha256.hex))
        XCTAssertGreaterThan(try PNGProbe.nonWhitePixels(out.png), 20_000)
    }

    /// Writes the report's HTML, prints it to PDF, screenshots it and dumps its DOM with Chromium.
    func render(_ report: CustodyReport, name: String) throws -> (pdf: String, png: String, dom: String) {
        guard let chromium = which("chromium") ?? which("chromium-browser") else {
            throw XCTSkip("chromium is not installed (Scripts/setup installs it)")
        }
        let keep = ProcessInfo.processInfo.environment["CUSTODY_REPORT_OUTPUT"]
        let base = (keep ?? dir.path) + "/report-\(name)"
        try ReportHTML.render(report).write(toFile: base + ".html", atomically: true, encoding: .utf8)
        let url = URL(fileURLWithPath: base + ".html").absoluteString
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
                      "--user-data-dir=\(dir.file("chromium-profile"))"]
        let pdf = try runProcess(chromium, common + ["--no-pdf-header-footer", "--print-to-pdf=\(base).pdf", url])
        XCTAssertTrue(FileManager.default.fileExists(atPath: base + ".pdf"), pdf.stderr.suffix(800).description)
        let png = try runProcess(chromium, common + ["--window-size=900,1270", "--screenshot=\(base).png", url])
        XCTAssertTrue(FileManager.default.fileExists(atPath: base + ".png"), png.stderr.suffix(800).description)
        let dom = try runProcess(chromium, common + ["--dump-dom", url])
        XCTAssertEqual(dom.status, 0, dom.stderr.suffix(800).description)
        return (base + ".pdf", base + ".png", dom.stdout)
    }

    func pdfText(_ pdf: String) throws -> String {
        let r = try tool("pdftotext", ["-layout", pdf, "-"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stdout
    }

    func tool(_ name: String, _ args: [String]) throws -> ProcessResult {
        guard let path = which(name) else { throw XCTSkip("\(name) is not installed (Scripts/setup installs it)") }
        return try runProcess(path, args)
    }
}
