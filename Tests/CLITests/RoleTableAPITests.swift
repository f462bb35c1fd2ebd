import CustodyCore
import Foundation
import TestSupport
import XCTest

/// The API half of the role table: every row as every role through `custody --server` against a running
/// `custody serve`, each officer acting by their own token (no `--as`, no data directory here).
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

    override func run(_ argv: [String], as cell: RoleTableCell) throws -> ProcessResult {
        try runProcess(TestPaths.custodyBinary, argv, environment: [
            "CUSTODY_DATA": dir.file("not-a-vault"), "CUSTODY_ACTOR": "",
            "CUSTODY_SERVER": "http://127.0.0.1:\(server.port)", "CUSTODY_TOKEN": tokens[cell.role]!,
        ])
    }

    func testEveryRoleAgainstEveryCommandThroughTheAPI() throws { try checkEveryRoleAgainstEveryCommand() }
}
