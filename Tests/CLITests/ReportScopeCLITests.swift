import CustodyCore
import Foundation
import TestSupport
import XCTest

/// An officer's report of their own recording, locally (`--as`) and through the API (`--server`): the
/// exhibit's cases, the court bundle that sent a redacted clip of it (built by the service's worker),
/// and its hold are left out, and the report says so; the supervisor's report of it shows them all.
final class ReportScopeCLITests: RemoteCLITestCase {
    func testAnOfficersReportLeavesOutCasesBundlesAndHoldsLocallyAndThroughTheAPI() throws {
        let officer = try register("PC-2", .officer)
        let ingested = try custody(["ingest", TestPaths.fixture("bodycam-a.mp4"), "--device", "BW2-1",
                                    "--officer", "PC-2", "--json"])
        let sha256 = try XCTUnwrap((try json(ingested) as? [[String: Any]])?.first?["sha256"] as? String)
        XCTAssertEqual(try custody(["ingest", TestPaths.fixture("bodycam-b.mp4"), "--device", "BW2-2"]).status, 0)
        XCTAssertEqual(try custody(["case", "create", "CPS/2026/9"]).status, 0)
        XCTAssertEqual(try custody(["case", "add", "CPS/2026/9", "EX-000001", "EX-000002"]).status, 0)
        let bundle = try custody(["bundle", "create", "--case", "CPS/2026/9", "--recipient", "clerk@court.example",
                                  "--exhibit", "EX-000001:\(TestPaths.fixture("redaction-spec.json"))",
                                  "--exhibit", "EX-000002", "--wait"])
        XCTAssertEqual(bundle.status, 0, bundle.stderr)
        XCTAssertEqual(try custody(["hold", "add", "EX-000001", "--reason", "standards review"]).status, 0)
        let secrets = ["CPS/2026/9", "clerk@court.example", "BN-000001", "EX-000002", "standards review"]

        let supervisor = try custody(["report", "EX-000001", "--json"])
        XCTAssertEqual(supervisor.status, 0, supervisor.stderr)
        for secret in secrets { XCTAssertTrue(supervisor.stdout.contains(secret), "the full report shows \(secret)") }
        XCTAssertFalse(supervisor.stdout.contains("not_shown"))

        var outputs = [(String, String)]()
        let local = try custody(["report", "EX-000001", "--json"], actor: "PC-2")
        let remote = try self.remote(["report", "EX-000001", "--json"], token: officer)
        for (name, r) in [("local --json", local), ("--server --json", remote)] {
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
            outputs.append((name, r.stdout))
            let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            let notShown = try XCTUnwrap(o["not_shown"] as? [String: Any], name)
            XCTAssertEqual(notShown["what"] as? [String], ["cases", "court bundles", "holds", "retention"], name)
            XCTAssertGreaterThan(notShown["events_left_out"] as? Int ?? 0, 0, name)
            XCTAssertEqual((o["bundles"] as? [Any])?.count, 0, name)
            let exhibit = (o["exhibits"] as? [[String: Any]])?.first
            XCTAssertEqual((exhibit?["derived"] as? [Any])?.count, 1, "\(name): the redacted clip of their recording")
        }
        for (name, args) in [("local --html", ["--as", "PC-2"]), ("--server --html", [])] {
            let file = dir.file("\(name.filter(\.isLetter)).html")
            let r = args.isEmpty ? try self.remote(["report", "EX-000001", "--html", file], token: officer)
                : try custody(["report", "EX-000001", "--html", file] + args, actor: nil)
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
            let html = try String(contentsOfFile: file, encoding: .utf8)
            XCTAssertTrue(html.contains("are not shown for your role (officer)"), name)
            outputs.append((name, html))
        }
        for (name, text) in outputs {
            XCTAssertTrue(text.contains(sha256), name)
            for secret in secrets { XCTAssertFalse(text.contains(secret), "\(name) leaves out \(secret)") }
        }
        let views = try eventLines().filter { $0.hasPrefix("officer:PC-2|view|ok|") }
        XCTAssertEqual(views.count, 4, "each report recorded as the officer's view: \(views)")
    }
}
