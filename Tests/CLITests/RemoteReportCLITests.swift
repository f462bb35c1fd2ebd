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
