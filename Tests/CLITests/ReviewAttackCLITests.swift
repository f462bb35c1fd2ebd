import CustodyCore
import Foundation
import TestSupport
import XCTest

/// The security review's attacks on `POST /api/v1/commands` that get through (failing tests: each
/// asserts what must hold, and fails while the hole is open).
final class ReviewAttackCLITests: RemoteCLITestCase {
    /// A NUL inside an argument passes the server's check for `--as` (the token is `--as\0`, which is
    /// neither `--as` nor starts with `--as=`), but a child's argv is a C string: the child sees `--as`
    /// and acts as the officer the next argument names. Here an officer makes themselves a supervisor,
    /// acting as the supervisor PC-1.
    func testANulInAnArgumentDoesNotLetAnOfficerActAsAnother() throws {
        let token = try register("EO-1", .officer)
        let bearer = ["-H", "Authorization: Bearer \(token)", "-H", "Content-Type: application/json"]
        let body = #"{"argv": ["officer", "role", "EO-1", "supervisor", "--as\u0000", "PC-1", "--json"]}"#
        let r = try curl(bearer + ["--data", body, "\(url)/api/v1/commands"])
        XCTAssertEqual(r.status, 400, "the server ran it: \(r.body)")
        let roles = try sqliteLines("SELECT id || '|' || role FROM officers WHERE id = 'EO-1'")
        XCTAssertEqual(roles, ["EO-1|officer"], "the officer changed their own role as PC-1: \(r.body)")
        let events = try eventLines()
        XCTAssertEqual(events.filter { $0.hasPrefix("officer:PC-1|officer|ok") }.count, 1,
                       "PC-1 is recorded as having done what EO-1 sent (one is registering EO-1): \(events)")
    }

    /// The same with `--data\0`: the child opens whatever directory the client names.
    func testANulInAnArgumentDoesNotLetAnOfficerChooseTheDataDirectory() throws {
        let token = try register("EO-1", .evidenceOfficer)
        let bearer = ["-H", "Authorization: Bearer \(token)", "-H", "Content-Type: application/json"]
        let body = #"{"argv": ["list", "--data\u0000", "/nonexistent-review", "--json"]}"#
        let r = try curl(bearer + ["--data", body, "\(url)/api/v1/commands"])
        XCTAssertEqual(r.status, 400, "the server ran it: \(r.body)")
        XCTAssertFalse(r.body.contains("nonexistent-review"), "the child opened the client's directory: \(r.body)")
    }
}
