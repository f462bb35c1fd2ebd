import Catalog
import CustodyCore
import Foundation
import Ledger
import Report
import TestSupport
import XCTest
@testable import Vault

/// `Vault.report`: who may make one, what it records, and what it holds.
final class ReportVaultTests: ReportTestCase {
    func testAnExhibitReportHoldsEveryEventWithAProofOfItsLeafIndexThatVerifies() throws {
        let exhibit = try ingest("bodycam-a.mp4")
        _ = try vault.show(exhibit.id, by: supervisor)
        let before = try vault.events.count()
        let report = try vault.report(exhibit.id, by: supervisor, format: .json)

        // Recorded before anything was read: one `view` event naming the exhibit, {report: json}.
        let recorded = try XCTUnwrap(vault.events.event(seq: before))
        XCTAssertEqual(recorded.action, .view)
        XCTAssertEqual(recorded.exhibit, exhibit.id)
        XCTAssertEqual(recorded.details, ["report": "json"])
        XCTAssertEqual(recorded.actor, supervisor)
        XCTAssertEqual(try vault.events.count(), before + 1)

        let named = try allEvents().filter { $0.exhibit == exhibit.id }
        XCTAssertEqual(report.timeline.map(\.event), named, "every event naming it, its own report's too")
        XCTAssertEqual(report.timeline.map(\.event.action), [.ingest, .view, .view])
        XCTAssertEqual(report.ledger.checkpoint.size, UInt64(before + 1))
        let verifier = try vault.noteVerifier()
        for entry in report.timeline {
            XCTAssertEqual(entry.leafIndex, UInt64(entry.event.seq))
            let proof = try InclusionProof(parsing: entry.proof.text)
            XCTAssertEqual(proof.checkpoint, report.ledger.checkpoint.note)
            XCTAssertEqual(proof.leaf, entry.event.leafBytes)
            XCTAssertEqual(try proof.verify(verifier: verifier).root, report.ledger.checkpoint.root)
        }
        let item = try XCTUnwrap(report.items.first)
        XCTAssertEqual(item.section.exhibit.sha256, exhibit.sha256)
        XCTAssertEqual(item.section.creationEvent, named.first?.seq)
        XCTAssertEqual(item.section.ledgerDisagreements, [])
        XCTAssertTrue(report.bundles.isEmpty)
    }

    func testARedactionShowsAsADerivedClipWithItsSpecAndItsEvents() throws {
        let exhibit = try ingest("bodycam-a.mp4")
        let spec = Array(try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("redaction-spec.json"))))
        let derived = try vault.redact(exhibit, spec: spec, reason: "CPS 17", actor: supervisor).exhibit
        let report = try vault.report(exhibit.id, by: supervisor)
        let clip = try XCTUnwrap(report.items.first?.derived.first)
        XCTAssertEqual(clip.exhibit.id, derived.id)
        XCTAssertEqual(clip.exhibit.spec, String(decoding: spec, as: UTF8.self))
        XCTAssertEqual(clip.parent?.id, exhibit.id)
        let redactions = report.timeline.filter { $0.event.action == .redact }.map(\.event.exhibit)
        XCTAssertEqual(redactions, [exhibit.id, derived.id], "the source's redact event and the clip's")
        XCTAssertEqual(try vault.events.events().last?.details, ["report": "html"])
    }

    func testACaseReportCoversItsExhibitsItsBundlesAndWhoDownloadedThem() throws {
        let a = try ingest("bodycam-a.mp4"), b = try ingest("bodycam-b.mp4")
        _ = try vault.createCase("CPS/2026/1187", title: "R v Example", by: supervisor)
        _ = try vault.addToCase("CPS/2026/1187", exhibits: [a.id, b.id], by: supervisor)
        let id = try downloadedBundle(case: "CPS/2026/1187")
        let other = try ingest("truncated.mp4")  // not in the case: not in its report

        let report = try vault.report("cps/2026/1187", by: supervisor, format: .json)
        XCTAssertEqual(report.subject, .case("CPS/2026/1187"))
        XCTAssertEqual(report.items.map(\.section.exhibit.id), [a.id, b.id])
        XCTAssertEqual(report.caseSection?.members.map(\.exhibit), [a.id, b.id])
        let bundle = try XCTUnwrap(report.bundles.first)
        XCTAssertEqual(bundle.bundle.id, id)
        XCTAssertEqual(bundle.items.map(\.exhibit), [a.id, b.id])
        XCTAssertEqual(bundle.downloads.map(\.actor.id), ["j.smith@cps.gov.uk", "j.smith@cps.gov.uk"])
        XCTAssertEqual(bundle.downloads.last?.details["download_completed"], "true")
        let seqs = Set(report.timeline.map(\.event.seq))
        let expected = try allEvents().filter {
            [a.id, b.id].contains($0.exhibit ?? "") || $0.caseID == "CPS/2026/1187" || $0.details["bundle"] == id
        }
        XCTAssertEqual(report.timeline.map(\.event), expected)
        XCTAssertFalse(try allEvents().contains { $0.exhibit == other.id && seqs.contains($0.seq) })
        XCTAssertEqual(try allEvents().last?.details, ["report": "json", "case": "CPS/2026/1187"])
        XCTAssertEqual(try allEvents().last?.caseID, "CPS/2026/1187")

        // The exhibit's own report shows the bundle that sent it, and its downloads.
        let one = try vault.report(a.id, by: supervisor)
        XCTAssertEqual(one.bundles.map(\.bundle.id), [id])
        XCTAssertEqual(one.bundles.first?.downloads.count, 2)
        XCTAssertTrue(one.timeline.contains { $0.event.action == .download })
    }

    func testWhoMayMakeAReportAndEveryRefusalIsRecorded() throws {
        let mine = try ingest("bodycam-a.mp4", officer: "PC-1")
        let theirs = try ingest("bodycam-b.mp4", officer: "PC-2")
        _ = try vault.createCase("CASE-1", title: nil, by: supervisor)
        let officer = try register("PC-1", .officer)
        let auditor = try register("AUD-1", .auditor)
        XCTAssertNoThrow(try vault.report(mine.id, by: officer))
        XCTAssertNoThrow(try vault.report(theirs.id, by: auditor))
        XCTAssertNoThrow(try vault.report("CASE-1", by: auditor))
        let refusals: [(Actor, String, String)] = [
            (officer, theirs.id, "EX-000002 is not a recording of PC-1's"),
            (officer, "CASE-1", "an officer may not read cases"),
            (.officer("PC-9"), mine.id, "officer PC-9 is not registered"),
            (supervisor, "EX-000099", "no exhibit EX-000099"),
            (supervisor, "NO-SUCH-CASE", "no exhibit or case NO-SUCH-CASE"),
            (supervisor, "%bad", "neither an exhibit ID"),
        ]
        for (actor, reference, reason) in refusals {
            let before = try vault.events.count()
            XCTAssertThrowsError(try vault.report(reference, by: actor)) { error in
                XCTAssertTrue((error as? CustodyError)?.message.contains(reason) ?? false, "\(reference): \(error)")
            }
            let events = try vault.events.events(from: before)
            XCTAssertEqual(events.count, 1, "\(reference): one refusal recorded, nothing else")
            XCTAssertEqual(events.first?.action, .view)
            XCTAssertEqual(events.first?.outcome, .refused)
            XCTAssertEqual(events.first?.actor, actor)
            XCTAssertTrue(events.first?.reason?.contains(reason) ?? false, "\(events)")
            XCTAssertEqual(events.first?.details["report"], "html")
        }
    }

    func testAReferenceThatNamesAnExhibitAndACaseIsRefused() throws {
        let exhibit = try ingest("bodycam-a.mp4")
        let prefix = String(exhibit.sha256.hex.prefix(8))
        _ = try vault.createCase(prefix, title: nil, by: supervisor)
        XCTAssertThrowsError(try vault.report(prefix, by: supervisor)) {
            XCTAssertTrue("\($0)".contains("names both exhibit \(exhibit.id) and case \(prefix)"), "\($0)")
        }
        XCTAssertEqual(try vault.report(String(exhibit.sha256.hex.prefix(9)), by: supervisor).subject,
                       .exhibit(exhibit.id))
    }
}
