import CustodyCore
import Foundation
import TestSupport
import XCTest

/// `custody serve` on the test's data directory, and the CLI run against it with `--server` (through
/// `$CUSTODY_SERVER` and `$CUSTODY_TOKEN`), with no data directory of its own.
class RemoteCLITestCase: CLITestCase {
    var server: (process: Process, port: Int, log: CollectedOutput)!
    /// What the service writes to stdout (its log goes to stderr: `server.log`).
    let serverOut = CollectedOutput()
    var url: String { "http://127.0.0.1:\(server.port)" }

    override func setUpWithError() throws {
        try super.setUpWithError()
        server = try serve(stdout: serverOut)
    }

    override func tearDown() {
        if let process = server?.process, process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        super.tearDown()
    }

    /// Registers officer `id` with `role` (by the supervisor) and returns their token.
    func register(_ id: String, _ role: Role) throws -> String { try addOfficer(id, role: role.rawValue) }

    /// Runs `custody ARGS` over the network as the officer whose token is `token`; the data directory
    /// and acting officer it would use locally name nothing that exists.
    @discardableResult
    func remote(_ args: [String], token: String, server: String? = nil, extra: [String: String] = [:],
                cwd: String? = nil) throws -> ProcessResult {
        var env = ["CUSTODY_DATA": dir.file("not-a-vault"), "CUSTODY_ACTOR": "", "CUSTODY_SERVER": server ?? url,
                   "CUSTODY_TOKEN": token]
        for (k, v) in extra { env[k] = v }
        return try runProcess(TestPaths.custodyBinary, args, environment: env, currentDirectory: cwd)
    }

    /// Events of the ledger as `actor|action|outcome|reason`, oldest first, via the sqlite3 CLI.
    func eventLines() throws -> [String] {
        guard let sqlite = which("sqlite3") else { throw XCTSkip("sqlite3 CLI not installed") }
        let r = try runProcess(sqlite, [dir.file("data/custody.sqlite"),
                                        "SELECT actor_kind || ':' || actor || '|' || action || '|' || outcome || '|' || COALESCE(reason, '') "
                                        + "FROM events ORDER BY seq"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stdout.split(separator: "\n").map(String.init)
    }

    /// A raw request with curl: the status and body.
    func curl(_ args: [String]) throws -> (status: Int, body: String) {
        let out = try runProcess(try XCTUnwrap(which("curl")), ["-sS", "--max-time", "30", "-o", "-",
                                                               "-w", "\n%{http_code}"] + args)
        let lines = out.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }
}
