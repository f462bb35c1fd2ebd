import Foundation
import TestSupport
import XCTest

/// `custody case`: create, add (by ID and by SHA-256 prefix), list and show, as text and `--json`; the
/// events they record; errors with their hints; refused command lines recorded.
final class CaseCLITests: CLITestCase {
    override var officers: [String: String] { ["PC-2": "evidence-officer"] }
    func ingest(_ fixtures: [String]) throws -> [[String: Any]] {
        try XCTUnwrap(json(try custody(["ingest"] + fixtures.map(TestPaths.fixture) + ["--device", "BW2-1", "--json"],
                                       actor: "PC-1")) as? [[String: Any]])
    }

    func testCreateAddListShow() throws {
        let exhibits = try ingest(["bodycam-a.mp4", "bodycam-b.mp4"])
        let (a, b) = (exhibits[0]["id"] as! String, exhibits[1]["id"] as! String)
        let sha = exhibits[1]["sha256"] as! String

        let created = try XCTUnwrap(json(try custody(["case", "create", "CPS/2026/1187", "--title", "Op Kestrel",
                                                      "--json"], actor: "PC-1")) as? [String: Any])
        XCTAssertEqual(created["ref"] as? String, "CPS/2026/1187")
        XCTAssertEqual(created["title"] as? String, "Op Kestrel")
        XCTAssertEqual(created["created_by"] as? String, "PC-1")
        XCTAssertEqual(created["exhibits"] as? Int, 0)
        let other = try custody(["case", "create", "CPS/2"], actor: "PC-2")
        XCTAssertEqual(other.status, 0, other.stderr)
        XCTAssertEqual(other.stdout, "Created case CPS/2.\n")

        // By catalog ID and by SHA-256 prefix.
        let add = ["case", "add", "CPS/2026/1187", a, String(sha.prefix(10)), "--json"]
        let added = try XCTUnwrap(json(try custody(add, actor: "PC-1")) as? [[String: Any]])
        XCTAssertEqual(added.map { $0["id"] as? String }, [a, b])
        XCTAssertEqual(added.map { $0["added"] as? Bool }, [true, true])
        let again = try custody(["case", "add", "cps/2026/1187", b], actor: "PC-1")
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.hasPrefix("\(b)  \(sha.prefix(16))  already in the case"), again.stdout)

        let list = try XCTUnwrap(json(try custody(["case", "list", "--json"], actor: "PC-1")) as? [[String: Any]])
        XCTAssertEqual(list.map { $0["ref"] as? String }, ["CPS/2026/1187", "CPS/2"])
        XCTAssertEqual(list.map { $0["exhibits"] as? Int }, [2, 0])
        let lines = try custody(["case", "list"], actor: "PC-1").stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2)
        XCTAssertTrue(lines[0].hasPrefix("CPS/2026/1187  2 exhibits  "), lines[0])
        XCTAssertTrue(lines[1].hasPrefix("CPS/2          0 exhibits  "), lines[1])
        XCTAssertTrue(lines[0].hasSuffix("PC-1  Op Kestrel"), lines[0])

        let shown = try XCTUnwrap(json(try custody(["case", "show", "CPS/2026/1187", "--json"], actor: "PC-1"))
                                  as? [String: Any])
        let members = try XCTUnwrap(shown["exhibits"] as? [[String: Any]])
        XCTAssertEqual(members.map { $0["id"] as? String }, [a, b])
        XCTAssertEqual(members.map { $0["sha256"] as? String }, exhibits.map { $0["sha256"] as? String })
        XCTAssertEqual(members.map { $0["added_by"] as? String }, ["PC-1", "PC-1"])
        let text = try custody(["case", "show", "CPS/2026/1187"], actor: "PC-1")
        XCTAssertTrue(text.stdout.hasPrefix("Case CPS/2026/1187: Op Kestrel\nCreated "), text.stdout)
        XCTAssertTrue(text.stdout.contains("bodycam-b.mp4"), text.stdout)

        // Two creations and two additions, each naming the case; the no-op addition recorded nothing.
        XCTAssertEqual(try eventRows().filter { $0.hasPrefix("link|") }, ["link|ok|", "link|ok|", "link|ok|\(a)",
                                                                           "link|ok|\(b)"])
        let verified = try custody(["ledger", "verify"])
        XCTAssertEqual(verified.status, 0, verified.stdout + verified.stderr)
    }

    func testErrorsHaveHintsAndRefusalsAreRecorded() throws {
        let exhibit = try ingest(["bodycam-a.mp4"])[0]["id"] as! String
        let unknown = try custody(["case", "add", "CPS/9", exhibit], actor: "PC-1")
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.stderr.contains("no case CPS/9; `custody case list` shows them"), unknown.stderr)
        XCTAssertEqual(try custody(["case", "create", "CPS/1"], actor: "PC-1").status, 0)
        let taken = try custody(["case", "create", "cps/1"], actor: "PC-1")
        XCTAssertEqual(taken.status, 2)
        XCTAssertTrue(taken.stderr.contains("a case CPS/1 already exists; `custody case list` shows them"),
                      taken.stderr)
        let bad = try custody(["case", "create", "CPS 1"], actor: "PC-1")
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("case reference CPS 1 must be 1-64"), bad.stderr)
        let noExhibit = try custody(["case", "add", "CPS/1", exhibit, "EX-000042"], actor: "PC-1")
        XCTAssertEqual(noExhibit.status, 2)
        XCTAssertTrue(noExhibit.stderr.contains("no exhibit EX-000042; `custody list` shows the catalog"),
                      noExhibit.stderr)
        let noOfficer = try custody(["case", "list"], actor: nil)
        XCTAssertEqual(noOfficer.status, 2)
        XCTAssertTrue(noOfficer.stderr.contains("give --as ID or set CUSTODY_ACTOR"), noOfficer.stderr)
        // A command line refused before the use case runs is recorded too.
        let missing = try custody(["case", "add", "CPS/1"], actor: "PC-1")
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("missing <EXHIBIT>..."), missing.stderr)
        // The refused reads (case list without an officer) are `view` events; the changes `link`.
        XCTAssertEqual(try eventRows().filter { $0.hasPrefix("link|") },
                       ["link|refused|", "link|ok|", "link|refused|", "link|refused|", "link|refused|",
                        "link|refused|"])
        XCTAssertEqual(try eventRows().filter { $0.hasPrefix("view|") }, ["view|refused|"])
        let shown = try XCTUnwrap(json(try custody(["case", "show", "CPS/1", "--json"], actor: "PC-1"))
                                  as? [String: Any])
        XCTAssertEqual((shown["exhibits"] as? [Any])?.count, 0, "the refused additions added nothing")
    }

    func testHelp() throws {
        let group = try custody(["case", "--help"])
        XCTAssertEqual(group.status, 0)
        for command in ["case create", "case add", "case list", "case show"] {
            XCTAssertTrue(group.stdout.contains(command), group.stdout)
            let help = try custody(command.split(separator: " ").map(String.init) + ["--help"])
            XCTAssertEqual(help.status, 0, help.stderr)
            XCTAssertTrue(help.stdout.contains("Usage: custody \(command)"), help.stdout)
        }
        XCTAssertTrue(try custody(["--help"]).stdout.contains("case create"))
    }
}
