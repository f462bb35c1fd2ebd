import Catalog
import CustodyCore
import Foundation
import Ledger
@testable import Report
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

    func testACrowdedLaneKeepsEveryMarkInsideTheChartAndLabelsOnlyThoseWithRoom() throws {
        let start = Date(timeIntervalSince1970: 1_796_000_000)
        for count in [40, 500] {  // side by side when they fit in a row, at their own times when not
            let events = (0..<count).map { (i: Int) -> CustodyEvent in
                CustodyEvent(seq: Int64(1000 + i), time: Timestamp.rfc3339(start.addingTimeInterval(Double(i % 7))),
                             actor: .officer("PC-1"), action: .view, exhibit: "EX-000001")
            }
            let svg = TimelineChart(events: events).svg
            let xs = try NSRegularExpression(pattern: #"<circle cx="([0-9.]+)""#)
                .matches(in: svg, range: NSRange(svg.startIndex..., in: svg))
                .map { Double((svg as NSString).substring(with: $0.range(at: 1)))! }
            XCTAssertEqual(xs.count, count + 1, "every event is drawn (and the legend's mark)")
            XCTAssertTrue(xs.allSatisfy { $0 >= TimelineChart.left && $0 <= TimelineChart.width - TimelineChart.right })
            let labels = svg.components(separatedBy: "class=\"seq\"").count - 1
            XCTAssertGreaterThan(labels, 0)
            XCTAssertLessThanOrEqual(labels, count)
            if count == 500 {
                XCTAssertLessThan(labels, 100, "only the labels that have room")
                let edge = xs.filter { $0 == TimelineChart.width - TimelineChart.right }.count
                XCTAssertLessThan(edge, count / 2, "marks stay at their times, not piled at the right edge")
            }
        }
    }
}
