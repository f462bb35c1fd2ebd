import CustodyCore
import Foundation
import TestSupport
import XCTest

/// `GET /api/v1/reports/<EXHIBIT|CASE>`: the custody report for the token's officer (an auditor's way
/// in), as HTML or JSON; refused ones recorded as the local command's are.
final class RemoteReportCLITests: RemoteCLITestCase {
    func testAnAuditorReadsAReportOverTheAPIAndAnOfficerOnlyTheirOwn() throws {
        let ingest = try custody(["ingest", TestPaths.fixture("bodycam-a.mp4"), "--device", "BW2-1", "--json"])
        let sha256 = try XCTUnwrap((try json(ingest) as? [[String: Any]])?.first?["sha256"] as? String)
        XCTAssertEqual(try custody(["case", "create", "CPS/2026/1"]).status, 0)
        XCTAssertEqual(try custody(["case", "add", "CPS/2026/1", "EX-000001"]).status, 0)
        let auditor = try register("AUD-1", .auditor)
        let bearer = ["-H", "Authorization: Bearer \(auditor)"]
        let html = try curl(bearer + ["\(url)/api/v1/reports/EX-000001"])
        XCTAssertEqual(html.status, 200, html.body)
        XCTAssertTrue(html.body.hasPrefix("<!DOCTYPE html>") || html.body.hasPrefix("<!doctype html>"),
                      String(html.body.prefix(80)))
        XCTAssertTrue(html.body.contains(sha256))
        let json = try curl(bearer + ["\(url)/api/v1/reports/EX-000001?format=json"])
        XCTAssertEqual(json.status, 200, json.body)
        XCTAssertTrue(json.body.contains("\"\(sha256)\""), String(json.body.prefix(300)))
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(json.body.utf8)))
        let byCase = try curl(bearer + ["\(url)/api/v1/reports/CPS%2F2026%2F1?format=json"])
        XCTAssertEqual(byCase.status, 200, byCase.body)
        XCTAssertEqual(try curl(bearer + ["\(url)/api/v1/reports/EX-000001?format=pdf"]).status, 400)
        // The reads are recorded as the auditor's views; an officer's report of another's recording is
        // refused and recorded.
        XCTAssertEqual(try eventLines().filter { $0.hasPrefix("officer:AUD-1|view|ok|") }.count, 3)
        let officer = try register("PC-2", .officer)
        let refused = try curl(["-H", "Authorization: Bearer \(officer)", "\(url)/api/v1/reports/EX-000001"])
        XCTAssertEqual(refused.status, 403, refused.body)
        let last = try eventLines().suffix(2)
        XCTAssertTrue(last.last?.hasPrefix("officer:PC-2|view|refused|") ?? false, "\(last)")
    }
}

/// `custody report --server`: the report the server makes, printed or written as the local command does,
/// with the local command's exit codes and messages.
final class RemoteReportCommandCLITests: RemoteCLITestCase {
    override var officers: [String: String] { ["AUD-1": "auditor"] }

    func testJSONIsPrintedAsLocallyAndHTMLWrittenToANewFileOnly() throws {
        let ingest = try custody(["ingest", TestPaths.fixture("bodycam-a.mp4"), "--device", "BW2-1", "--json"])
        let sha256 = try XCTUnwrap((try json(ingest) as? [[String: Any]])?.first?["sha256"] as? String)
        XCTAssertEqual(try custody(["case", "create", "CPS/2026/1"]).status, 0)
        XCTAssertEqual(try custody(["case", "add", "CPS/2026/1", "EX-000001"]).status, 0)
        let auditor = try XCTUnwrap(try json(try custody(["officer", "token", "AUD-1", "--json"])) as? [String: Any])
        let token = try XCTUnwrap(auditor["token"] as? String)

        // JSON: the same object as the local command's, but for the time and the report's own view event.
        let remote = try self.remote(["report", "CPS/2026/1", "--json"], token: token)
        XCTAssertEqual(remote.status, 0, remote.stderr)
        let local = try custody(["report", "CPS/2026/1", "--json"], actor: "AUD-1")
        XCTAssertTrue(remote.stdout.hasSuffix("}\n") && !remote.stdout.contains("\\/"), "printed as locally")
        let r = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(remote.stdout.utf8)) as? [String: Any])
        let l = try XCTUnwrap(try json(local) as? [String: Any])
        XCTAssertEqual(Set(r.keys), Set(l.keys))
        XCTAssertEqual((r["report"] as? [String: Any])?["reference"] as? String, "CPS/2026/1")
        XCTAssertEqual((r["report"] as? [String: Any])?["generated_by"] as? String, "AUD-1")
        XCTAssertEqual(r["exhibits"] as? NSArray, l["exhibits"] as? NSArray)
        XCTAssertEqual(r["case"] as? NSDictionary, l["case"] as? NSDictionary)
        let withoutProofs = { (o: [String: Any]) in
            (o["events"] as? [[String: Any]] ?? []).map { $0.filter { $0.key != "proof" } as NSDictionary }
        }
        XCTAssertEqual(withoutProofs(r), Array(withoutProofs(l).dropLast()), "the local report's has one more view")

        // HTML: a new file, as locally, with the local command's line.
        let file = dir.file("report.html")
        let html = try self.remote(["report", "EX-000001", "--html", file], token: token)
        XCTAssertEqual(html.status, 0, html.stderr)
        let written = try String(contentsOfFile: file, encoding: .utf8)
        XCTAssertTrue(written.hasPrefix("<!DOCTYPE html>") && written.contains(sha256))
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: file)[.size] as? Int)
        let line = try XCTUnwrap(html.stdout.split(separator: "\n").first.map(String.init))
        let about = try sqliteLines("SELECT count(*) FROM events WHERE exhibit = 'EX-000001'")
        let events = try eventLines().count
        XCTAssertEqual(line, "\(file): custody report of Exhibit EX-000001, \(about.first ?? "?") events, "
                       + "checkpoint of \(events) events (\(size) bytes)")

        // Refusals: as locally, the same exit code and message; nothing written.
        for (args, says) in [
            (["report", "EX-000001", "--html", file], "exists: a report is written to a new file"),
            (["report", "EX-000001"], "missing --html FILE or --json"),
            (["report", "EX-000099", "--json"], "no exhibit EX-000099"),
        ] {
            let there = try self.remote(args, token: token), here = try custody(args, actor: "AUD-1")
            XCTAssertEqual(there.status, 2, "\(args): \(there.stderr)")
            XCTAssertEqual(there.status, here.status, "\(args)")
            XCTAssertTrue(there.stderr.contains(says) && here.stderr.contains(says), "\(args): \(there.stderr)")
        }
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), written, "the first report is untouched")
        let officer = try register("PC-2", .officer)
        let other = dir.file("other.html")
        let refused = try self.remote(["report", "EX-000001", "--html", other], token: officer)
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("EX-000001 is not a recording of PC-2's"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: other))
        XCTAssertEqual(try (FileManager.default.contentsOfDirectory(atPath: dir.path)).filter {
            $0.contains("custody-partial")
        }, [], "nothing left beside it")
        let asJSON = try self.remote(["report", "EX-000001", "--json"], token: officer)
        XCTAssertEqual(asJSON.status, 2)
        let error = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(asJSON.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(error["exit"] as? Int, 2)
        XCTAssertTrue(try eventLines().last?.hasPrefix("officer:PC-2|view|refused|EX-000001 is not") ?? false)
        let unknown = try self.remote(["report", "EX-000001", "--json"],
                                      token: "cot_" + String(repeating: "A", count: 43))
        XCTAssertEqual(unknown.status, 2, unknown.stderr)
        XCTAssertTrue(unknown.stdout.contains("an officer's personal token is needed"), unknown.stdout)
    }
}
