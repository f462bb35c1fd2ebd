import CustodyCore
import Foundation
import TestSupport
import XCTest

/// The API half of the role table: every row through `custody --server` against a running `custody serve`,
/// each officer acting by their own token (no `--as`, no data directory here). A row runs as one role the
/// table allows and one it refuses, taken in turn row by row so that every role runs
/// allowed and every role but the supervisor refused; the local half
/// runs every row as every role through the same check (the server runs each command line as a `custody`
/// child), and `CUSTODY_ROLE_TABLE_ALL=1` runs every role here too (a minute more).
final class RoleTableAPITests: RoleTableTestCase {
    var server: (process: Process, port: Int, log: CollectedOutput)!
    var tokens = [Role: String]()

    override func setUpWithError() throws {
        try super.setUpWithError()
        for (role, id) in RoleTableFixture.officers {
            let issued = try json(try custody(["officer", "token", id, "--json"])) as? [String: Any]
            tokens[role] = try XCTUnwrap(issued?["token"] as? String)
        }
        // No worker in the service: a bundle built meanwhile would add its events to a row's.
        server = try serve(["--transfer-jobs", "0"])
    }

    override func tearDown() {
        if let process = server?.process, process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        super.tearDown()
    }

    override var remote: Bool { true }

    override func roles(for row: RoleTableRow, index: Int) -> [Role] {
        if ProcessInfo.processInfo.environment["CUSTODY_ROLE_TABLE_ALL"] == "1" { return Role.allCases }
        let allowed = Role.allCases.filter { row.allows($0) }, refused = Role.allCases.filter { !row.allows($0) }
        let picked = [allowed, refused].compactMap { $0.isEmpty ? nil : $0[index % $0.count] }
        for role in picked { ran.insert("\(role.rawValue) \(row.allows(role) ? "allowed" : "refused")") }
        return picked
    }

    /// The roles run by `roles(for:index:)`, each as `role allowed` or `role refused`.
    private var ran = Set<String>()

    override func run(_ argv: [String], as cell: RoleTableCell) throws -> ProcessResult {
        try runProcess(TestPaths.custodyBinary, argv, environment: [
            "CUSTODY_DATA": dir.file("not-a-vault"), "CUSTODY_ACTOR": "",
            "CUSTODY_SERVER": "http://127.0.0.1:\(server.port)", "CUSTODY_TOKEN": tokens[cell.role]!,
        ])
    }

    func testEveryRoleAgainstEveryCommandThroughTheAPI() throws {
        try checkEveryRoleAgainstEveryCommand()
        // Every role ran allowed, and every role but the supervisor (refused nothing) ran refused.
        let expected = Role.allCases.map { "\($0.rawValue) allowed" }
            + Role.allCases.filter { $0 != .supervisor }.map { "\($0.rawValue) refused" }
        XCTAssertEqual(ran, Set(expected))
    }

    /// A command line the API refuses before it runs one (`--as`, which no client may give; a command run
    /// through its own endpoint) is recorded as the CLI records it refused (`RoleTable.commandLineAction`).
    func testARefusedCommandLineIsRecordedAsTheCLIRecordsIt() throws {
        let curl = try XCTUnwrap(which("curl"))
        for (index, row) in RoleTable.rows.enumerated() where row.remote {
            // The roles in turn: each officer's refusals are recorded one by one up to a budget (30).
            let role = Role.allCases[index % Role.allCases.count]
            let cell = RoleTableCell(role: role, actor: RoleTableFixture.officers[role]!, tag: "x\(index)",
                                     prepared: "EX-999999", fixture: fixture)
            let body = try JSONSerialization.data(withJSONObject: ["argv": row.argv(cell) + ["--as=\(cell.actor)"]])
            let seq = try lastSeq()
            let r = try runProcess(curl, ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H",
                                          "Authorization: Bearer \(tokens[role]!)", "--data-binary", "@-",
                                          "http://127.0.0.1:\(server.port)/api/v1/commands"],
                                   stdin: String(decoding: body, as: UTF8.self))
            XCTAssertEqual(r.stdout, "400", row.name)
            let recorded = try events(after: seq)
            XCTAssertEqual(recorded.count, 1, "\(row.name): \(recorded)")
            XCTAssertTrue(recorded.first?.hasPrefix("officer:\(cell.actor) \(RoleTable.commandLineAction(row)) "
                                                    + "refused: ") == true, "\(row.name): \(recorded)")
        }
    }
}
