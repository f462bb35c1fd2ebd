#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Catalog
import CustodyCore
import Foundation
import TestSupport
import Vault
import XCTest

/// Retention through the built binary: the commands and their JSON, and a `retention run` killed
/// (SIGKILL) part-way at a point a test-only hook (`CUSTODY_TEST_RETENTION_PAUSE`) holds it.
final class RetentionCLITests: CLITestCase {
    let boss = "SUP-1"

    override func setUpWithError() throws {
        try super.setUpWithError()
        guard let sqlite = which("sqlite3") else { throw XCTSkip("sqlite3 CLI not installed") }
        // The acting supervisor, registered as `custody officer add` would (its token is not used here).
        let r = try runProcess(sqlite, [dir.file("data/custody.sqlite"), """
            INSERT INTO officers (id, name, role, token_sha256, created_at, created_by)
            VALUES ('\(boss)', 'Supervisor', 'supervisor', 'unused', '2026-12-07T00:00:00.000Z', 'custody:custody')
            """])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    /// Ingests `count` distinct files captured and ingested in 2020 (`OldRecording`).
    func ingestOld(_ count: Int) throws {
        for i in 0..<count {
            let path = dir.file("old-\(i).bin")
            try Data(repeating: UInt8(i + 1), count: 100_000).write(to: URL(fileURLWithPath: path))
            try OldRecording.ingest(path, into: data, as: .officer(boss))
        }
    }

    func listed() throws -> [String] {
        try XCTUnwrap(json(try custody(["list", "--json"], actor: boss)) as? [[String: Any]]).compactMap { $0["id"] as? String }
    }

    func assertIntact(file: StaticString = #filePath, line: UInt = #line) throws {
        let verify = try custody(["verify"], actor: boss)
        XCTAssertEqual(verify.status, 0, verify.stdout + verify.stderr, file: file, line: line)
        let ledger = try custody(["ledger", "verify"], actor: boss)
        XCTAssertEqual(ledger.status, 0, ledger.stdout + ledger.stderr, file: file, line: line)
    }

    func testARunKilledPartWayLeavesEveryExhibitWholeOrDeletedAndARerunCompletes() throws {
        try ingestOld(6)
        let mark = dir.file("paused")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestPaths.custodyBinary)
        process.arguments = ["retention", "run", "--data", data, "--as", boss]
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["CUSTODY_TEST_RETENTION_PAUSE": "3", "CUSTODY_TEST_RETENTION_PAUSE_MARK": mark]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: mark) && process.isRunning && Date() < deadline { usleep(10_000) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: mark), "the run never reached its third deletion")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)

        // Three deleted (each with its event), three whole: verify re-hashes them all.
        XCTAssertEqual(try listed(), ["EX-000004", "EX-000005", "EX-000006"])
        XCTAssertEqual(try eventRows().filter { $0.hasPrefix("delete|") },
                       ["delete|ok|EX-000001", "delete|ok|EX-000002", "delete|ok|EX-000003"])
        try assertIntact()
        let export = try custody(["export", "EX-000005", "--out", dir.file("five.bin"), "--reason", "check"], actor: boss)
        XCTAssertEqual(export.status, 0, export.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir.file("five.bin"))),
                       try Data(contentsOf: URL(fileURLWithPath: dir.file("old-4.bin"))))

        let again = try custody(["retention", "run", "--json"], actor: boss)
        let report = try XCTUnwrap(json(again) as? [String: Any])
        XCTAssertEqual((report["deleted"] as? [[String: Any]])?.compactMap { $0["id"] as? String },
                       ["EX-000004", "EX-000005", "EX-000006"])
        XCTAssertEqual(try listed(), [])
        XCTAssertEqual(try eventRows().filter { $0.hasPrefix("delete|") }.count, 6)
        try assertIntact()
    }

    func testCategoriesHoldsCasesDryRunAndRestore() throws {
        try ingestOld(3)
        let added = try XCTUnwrap(json(try custody(["category", "add", "evidential", "--keep", "7y", "--json"],
                                                   actor: boss)) as? [String: Any])
        XCTAssertEqual(added["keep_seconds"] as? Int, 7 * 365 * 86_400)
        let categories = try XCTUnwrap(json(try custody(["category", "list", "--json"], actor: boss)) as? [[String: Any]])
        XCTAssertEqual(categories.compactMap { $0["name"] as? String }, ["evidential", "non-evidential"])
        XCTAssertEqual(categories.last?["keep"] as? String, "31d")
        XCTAssertEqual(try custody(["category", "add", "x", "--keep", "31"], actor: boss).status, 2)
        XCTAssertEqual(try custody(["exhibit", "categorise", "EX-000001", "evidential"], actor: boss).status, 0)
        XCTAssertEqual(try custody(["hold", "add", "EX-000002", "--reason", "appeal"], actor: boss).status, 0)
        XCTAssertEqual(try custody(["case", "create", "CPS/7"], actor: boss).status, 0)
        XCTAssertEqual(try custody(["case", "add", "CPS/7", "EX-000003"], actor: boss).status, 0)
        let holds = try XCTUnwrap(json(try custody(["hold", "list", "--json"], actor: boss)) as? [[String: Any]])
        XCTAssertEqual(holds.first?["exhibit"] as? String, "EX-000002")

        let dry = try XCTUnwrap(json(try custody(["retention", "run", "--dry-run", "--json"], actor: boss))
                                as? [String: Any])
        XCTAssertEqual((dry["deleted"] as? [Any])?.count, 0)
        XCTAssertEqual(dry["kept"] as? Int, 3)
        XCTAssertEqual(try custody(["hold", "remove", "EX-000002", "--reason", "dismissed"], actor: boss).status, 0)
        let closed = try XCTUnwrap(json(try custody(["case", "close", "CPS/7", "--json"], actor: boss)) as? [String: Any])
        XCTAssertEqual(closed["open"] as? Bool, false)
        let run = try XCTUnwrap(json(try custody(["retention", "run", "--json"], actor: boss)) as? [String: Any])
        XCTAssertEqual((run["deleted"] as? [[String: Any]])?.compactMap { $0["id"] as? String }, ["EX-000002", "EX-000003"])
        XCTAssertEqual(try listed(), ["EX-000001"])
        let shown = try custody(["show", "EX-000002"], actor: boss)
        XCTAssertEqual(shown.status, 2)
        XCTAssertTrue(shown.stderr.contains("deleted by retention"), shown.stderr)
        // Its events stay readable: the ledger keeps a deleted exhibit's history for good.
        let history = try custody(["ledger", "log", "EX-000002", "--json"], actor: boss)
        XCTAssertEqual(history.status, 0, history.stderr)
        let actions = (try XCTUnwrap(json(history) as? [[String: Any]])).compactMap { $0["action"] as? String }
        XCTAssertEqual(actions.first, "ingest")
        XCTAssertEqual(actions.last, "delete", "\(actions)")
        XCTAssertEqual(try custody(["restore", "EX-000002"], actor: boss).status, 0)
        XCTAssertEqual(try listed(), ["EX-000001", "EX-000002"])
        try assertIntact()

        // Someone without the role changes nothing, and the ledger says who tried.
        let refused = try custody(["hold", "add", "EX-000001", "--reason", "mine"], actor: "PC-9")
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("not registered"), refused.stderr)
        XCTAssertEqual(try eventRows().last, "retention|refused|")
        XCTAssertEqual(try custody(["restore", "EX-000003"], actor: "PC-9").status, 2)
        XCTAssertEqual(try listed(), ["EX-000001", "EX-000002"])
    }

    func testVerifyCatchesAnExhibitMarkedDeletedWithoutItsDeleteEvent() throws {
        try ingestOld(1)
        guard let sqlite = which("sqlite3") else { throw XCTSkip("sqlite3 CLI not installed") }
        // Hiding an exhibit behind the catalog's back: event 1 is its ingest, not a deletion.
        let r = try runProcess(sqlite, [dir.file("data/custody.sqlite"),
                                        "INSERT INTO deletions (exhibit, deleted_at, event) VALUES ('EX-000001', 0, 1)"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let verify = try custody(["verify"], actor: boss)
        XCTAssertEqual(verify.status, 1, verify.stdout)
        XCTAssertTrue(verify.stdout.contains("event 1 is not the delete event of EX-000001"), verify.stdout)
    }
}
