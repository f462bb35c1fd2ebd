import Catalog
import CustodyCore
import Foundation
import Ledger
import Report
import TestSupport
import XCTest
@testable import Vault

/// What a report shows to whom: an officer's report of their own recording leaves out what the officer
/// role may not read (the exhibit's cases, court bundles, holds and retention, and every event about
/// them) and says so; the roles that may read them see everything.
final class ReportScopeTests: ReportTestCase {
    func testAnOfficersReportLeavesOutCasesBundlesAndHoldsAndSaysSo() throws {
        let mine = try ingest("bodycam-a.mp4", officer: "PC-1"), other = try ingest("bodycam-b.mp4")
        _ = try vault.createCase("CPS/2026/7", title: "R v Example", by: supervisor)
        _ = try vault.addToCase("CPS/2026/7", exhibits: [mine.id, other.id], by: supervisor)
        let bundle = try downloadedBundle(case: "CPS/2026/7")
        _ = try vault.addHold(on: mine.id, reason: "professional standards review", by: supervisor)
        _ = try vault.setCategory("traffic", keepSeconds: 86_400, by: supervisor)
        _ = try vault.categorise(mine.id, as: "traffic", by: supervisor)
        // A court bundle's redaction names its bundle in its events (the transfer job gives it).
        let spec = Array(try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("redaction-spec.json"))))
        let clip = try vault.redact(mine, spec: spec, reason: "court bundle \(bundle) for j.smith@cps.gov.uk",
                                    actor: supervisor, details: ["bundle": bundle]).exhibit
        _ = try vault.show(mine.id, by: supervisor)
        let officer = try register("PC-1", .officer)

        let full = try vault.report(mine.id, by: supervisor, format: .json)
        XCTAssertNil(full.withheld)
        XCTAssertEqual(full.bundles.map(\.bundle.id), [bundle])
        XCTAssertEqual(full.items.first?.section.cases, ["CPS/2026/7"])

        let report = try vault.report(mine.id, by: officer, format: .json)
        let hidden = full.timeline.map(\.event).filter {
            $0.caseID != nil || $0.details["bundle"] != nil || [.hold, .retention].contains($0.action)
        }
        XCTAssertGreaterThanOrEqual(hidden.count, 6, "case add, bundle events, downloads, hold, categorise, redact")
        XCTAssertEqual(report.timeline.map(\.event.seq),
                       full.timeline.map(\.event.seq).filter { seq in !hidden.contains { $0.seq == seq } }
                           + [try vault.events.count() - 1], "the rest, and the officer's own report's event")
        XCTAssertEqual(report.withheld, CustodyReport.Withheld(
            role: "officer", what: ["cases", "court bundles", "holds", "retention"], events: hidden.count))
        XCTAssertTrue(report.bundles.isEmpty)
        XCTAssertEqual(report.items.first?.section.cases, [])
        XCTAssertEqual(report.items.first?.derived.map(\.exhibit.id), [clip.id], "a clip of their recording")
        XCTAssertEqual(report.items.first?.derived.first?.cases, [])

        // Nothing of the case, the bundle or the hold in either rendering, and the report says why.
        let json = ReportJSON.text(report), html = ReportHTML.render(report)
        for text in [json, html] {
            for secret in ["CPS/2026/7", "R v Example", bundle, "j.smith@cps.gov.uk", other.id,
                           "professional standards", "traffic"] {
                XCTAssertFalse(text.contains(secret), "\(secret) is left out")
            }
            XCTAssertTrue(text.contains(mine.sha256.hex))
        }
        let sentence = "Cases, court bundles, holds and retention are not shown for your role (officer): "
            + "\(hidden.count) ledger events about them are left out."
        XCTAssertTrue(html.contains(sentence), sentence)
        let notShown = (try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?["not_shown"]
        XCTAssertEqual((notShown as? [String: Any])?["note"] as? String, sentence)
        XCTAssertEqual((notShown as? [String: Any])?["events_left_out"] as? Int, hidden.count)
        // And the same strings are in the full report, so the checks above could fail.
        let fullText = ReportJSON.text(full)
        XCTAssertTrue(["CPS/2026/7", bundle, "j.smith@cps.gov.uk", other.id, "professional standards"]
            .allSatisfy(fullText.contains))
    }

    func testAnAuditorAndAnEvidenceOfficerSeeEverything() throws {
        let mine = try ingest("bodycam-a.mp4", officer: "PC-1")
        _ = try vault.createCase("CPS/2026/8", title: nil, by: supervisor)
        _ = try vault.addToCase("CPS/2026/8", exhibits: [mine.id], by: supervisor)
        for actor in [try register("AUD-1", .auditor), try register("EO-1", .evidenceOfficer)] {
            let report = try vault.report(mine.id, by: actor, format: .json)
            XCTAssertNil(report.withheld, actor.id)
            XCTAssertEqual(report.items.first?.section.cases, ["CPS/2026/8"], actor.id)
            XCTAssertTrue(report.timeline.contains { $0.event.caseID == "CPS/2026/8" }, actor.id)
            XCTAssertFalse(ReportJSON.text(report).contains("not_shown"), actor.id)
        }
    }

    /// Retention's own events name holds and cases in their text: a deletion, and a restore because a hold
    /// was put on the closed case. An officer's report leaves them out like the hold itself.
    func testRetentionsDeletionsAndRestoresAreLeftOutOfAnOfficersReport() throws {
        vault.clock = ManualClock(now: Int64(Timestamp.parse("2026-12-01T09:00:00Z")!.timeIntervalSince1970)).clock
        let mine = try ingest("bodycam-a.mp4", officer: "PC-1")
        _ = try vault.createCase("CPS/2026/9", title: "R v Retention", by: supervisor)
        _ = try vault.addToCase("CPS/2026/9", exhibits: [mine.id], by: supervisor)
        _ = try vault.setCaseClosed("CPS/2026/9", true, by: supervisor)
        vault.clock = ManualClock(now: Int64(Timestamp.parse("2027-03-01T09:00:00Z")!.timeIntervalSince1970)).clock
        XCTAssertEqual(try vault.runRetention(by: supervisor).deleted.map(\.exhibit.id), [mine.id])
        let hold = try vault.addHold(on: "CPS/2026/9", reason: "complaint by the defendant's solicitor", by: supervisor)
        let full = try vault.report(mine.id, by: supervisor, format: .json)
        let retention = full.timeline.map(\.event).filter { [.delete, .restore].contains($0.action) }
        XCTAssertEqual(retention.count, 2, "deleted by the run, restored by the hold")
        let why = retention.last?.reason ?? ""
        XCTAssertTrue(why.hasSuffix("on hold: \(hold.id)"), why)

        let report = try vault.report(mine.id, by: try register("PC-1", .officer), format: .json)
        XCTAssertFalse(report.timeline.contains { [.delete, .restore].contains($0.event.action) })
        for text in [ReportJSON.text(report), ReportHTML.render(report)] {
            for secret in [hold.id, "complaint by the defendant", "CPS/2026/9", "R v Retention"] {
                XCTAssertFalse(text.contains(secret), "\(secret) is left out")
            }
        }
    }
}
