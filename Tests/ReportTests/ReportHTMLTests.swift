import Catalog
import CustodyCore
import Foundation
import Report
import TestSupport
import XCTest
@testable import Vault

/// The HTML as text: self-contained (nothing to fetch, no script) and every text from the vault escaped.
final class ReportHTMLTests: ReportTestCase {
    func testTheFileFetchesNothingRunsNothingAndEscapesWhatTheVaultHolds() throws {
        let name = "<img src=x onerror=alert(1)>\"'&.mp4"
        let exhibit = try ingest("bodycam-a.mp4", filename: name)
        _ = try vault.createCase("CASE-1", title: "R v <b>Smith</b> & \"Jones\"", by: supervisor)
        _ = try vault.addToCase("CASE-1", exhibits: [exhibit.id], by: supervisor)
        let html = ReportHTML.render(try vault.report("CASE-1", by: supervisor))
        XCTAssertTrue(html.contains("&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;.mp4"))
        XCTAssertTrue(html.contains("R v &lt;b&gt;Smith&lt;/b&gt; &amp; &quot;Jones&quot;"))
        XCTAssertFalse(html.contains("<img") || html.contains("<b>"), "nothing from the vault is markup")
        let lower = html.lowercased()
        for element in ["<script", "<link", "<iframe", "<object", "<embed", "<img", "@import", "url("] {
            XCTAssertFalse(lower.contains(element), "no \(element)")
        }
        XCTAssertNil(html.range(of: #"<[^>]*\s(src|href|action|srcset)\s*="#, options: .regularExpression),
                     "no element refers to anything outside the file")
        XCTAssertTrue(html.contains("default-src 'none'"), "the browser is told to fetch nothing")
        XCTAssertTrue(html.contains("@page{size:A4"))
        XCTAssertTrue(html.contains("<svg class=\"timeline\""))
    }

    func testTheTimelineDrawsEachEventAtItsTimeShapedAndColouredByOutcome() throws {
        let exhibit = try ingest("bodycam-a.mp4")
        XCTAssertThrowsError(try vault.report(exhibit.id, by: .officer("PC-9")))  // refused, recorded
        let html = ReportHTML.render(try vault.report(exhibit.id, by: supervisor))
        let svg = String(html[try XCTUnwrap(html.range(of: "<svg")).lowerBound...])
        // ingest (ok), PC-9's refused report, this report (ok): two circles and a square, each labelled.
        XCTAssertEqual(svg.components(separatedBy: "<circle").count - 1, 2 + 1, "two events and the legend's ok")
        XCTAssertEqual(svg.components(separatedBy: "fill=\"#c62828\"").count - 1, 1 + 1, "one refusal, the legend's")
        for seq in try vault.events.events(exhibit: exhibit.id).map(\.seq) {
            XCTAssertTrue(svg.contains(">\(seq)</text>"), "event \(seq) is labelled")
        }
        XCTAssertTrue(svg.contains("officer PC-9 is not registered"), "the refusal's reason is in its tooltip")
    }
}
