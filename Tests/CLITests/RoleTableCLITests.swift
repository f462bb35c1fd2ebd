import CustodyCore
import Foundation
import TestSupport
import Vault
import XCTest

/// The role table: every row of `RoleTable` as every role. An allowed command works (exit 0) and records
/// no refusal; a refused one exits 2, records exactly one refused event naming the officer, the row's
/// action and the reason, and changes nothing else (catalog, cases, bundles, docks, officers, files).
/// `run` says how a command line is run as a cell's officer: here with `--as` on the data directory,
/// through the API in `RoleTableAPITests`.
class RoleTableTestCase: CLITestCase {
    var fixture: RoleTableFixture!
    var supervisor: RoleTableFixture.Runner { RoleTableFixture.Runner { try self.custody($0) } }

    override func setUpWithError() throws {
        try super.setUpWithError()
        XCTAssertEqual(RoleTableFixture.officers[.supervisor], Self.supervisor, "init registered the supervisor")
        fixture = RoleTableFixture(folder: dir.file("fixture"), data: data)
        try FileManager.default.createDirectory(atPath: fixture.folder, withIntermediateDirectories: true)
        try fixture.make(supervisor)
    }

    /// Whether this runner sends command lines to a server (rows with `remote: false` are not run).
    var remote: Bool { false }

    /// Runs `argv` as `cell`'s officer: the local half, with `--as` on the data directory.
    func run(_ argv: [String], as cell: RoleTableCell) throws -> ProcessResult {
        try custody(argv, actor: cell.actor)
    }

    func checkEveryRoleAgainstEveryCommand() throws {
        let covered = Set(RoleTable.rows.map(\.permission))
        XCTAssertEqual(Set(Permission.allCases).subtracting(covered), [], "every permission has its rows")
        for (index, row) in RoleTable.rows.enumerated() where row.remote || !remote {
            for role in roles(for: row, index: index) {
                var cell = RoleTableCell(role: role, actor: RoleTableFixture.officers[role]!,
                                         tag: "r\(index)-\(role.rawValue)", prepared: nil, fixture: fixture)
                cell.prepared = try row.prepare?(cell, supervisor)
                try check(row, cell)
            }
        }
    }

    /// The roles `row` (the `index`th) is run as: all of them.
    func roles(for row: RoleTableRow, index: Int) -> [Role] { Role.allCases }

    /// Runs `row` as `cell`'s officer and checks the outcome against the table.
    func check(_ row: RoleTableRow, _ cell: RoleTableCell, file: StaticString = #filePath,
               line: UInt = #line) throws {
        let what = "\(row.name) as \(cell.role.rawValue)"
        let before = row.allows(cell.role) ? "" : try state()
        let seq = try lastSeq()
        let r = try run(row.argv(cell), as: cell)
        let appended = try events(after: seq)
        if row.allows(cell.role) {
            XCTAssertEqual(r.status, 0, "\(what): \(r.stderr)", file: file, line: line)
            XCTAssertFalse(appended.contains { $0.contains(" refused: ") }, "\(what): \(appended)", file: file,
                           line: line)
            return
        }
        XCTAssertEqual(r.status, 2, "\(what) is refused", file: file, line: line)
        let reason = RoleTable.reach[row.permission]?[cell.role] == .own
            ? "\(RoleTableFixture.others) is not a recording of \(cell.actor)'s; an officer may only "
                + "\(row.permission.phrase) they recorded"
            : "\(cell.role == .supervisor ? "a" : "an") \(cell.role.rawValue) may not \(row.permission.phrase)"
        XCTAssertEqual(appended, ["officer:\(cell.actor) \(row.permission.action.rawValue) refused: \(reason)"], what,
                       file: file, line: line)
        XCTAssertTrue(r.stderr.contains(reason), "\(what): \(r.stderr)", file: file, line: line)
        XCTAssertEqual(try state(), before, "\(what) changed nothing", file: file, line: line)
    }

    func lastSeq() throws -> Int {
        Int(try sqliteLines("SELECT max(seq) FROM events").first ?? "") ?? -1
    }

    /// The events after `seq`, as `kind:actor action outcome: reason`.
    func events(after seq: Int) throws -> [String] {
        try sqliteLines("SELECT actor_kind || ':' || actor || ' ' || action || ' ' || outcome || ': ' || "
                        + "COALESCE(reason, '') FROM events WHERE seq > \(seq) ORDER BY seq")
    }

    /// Every table but the ledger's, row by row, and every file of the data directory but the database's
    /// and the scratch folder's, with its size.
    private func state() throws -> String {
        let ledger: Set<String> = ["events", "ledger_hashes", "checkpoints", "schema_versions"]
        let tables = try sqliteLines("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .filter { !ledger.contains($0) }
        // Each table's rows sorted (some tables have no rowid to order them by), in one sqlite3 run.
        var sections = [[String]]()
        for line in try sqliteLines(tables.map { "SELECT '#\($0)'; SELECT * FROM \"\($0)\";" }.joined()) {
            if line.hasPrefix("#") { sections.append([line]) } else { sections[sections.count - 1].append(line) }
        }
        let rows = sections.map { ([$0[0]] + $0.dropFirst().sorted()).joined(separator: "\n") }.joined(separator: "\n")
        let root = dir.file("data")
        let files = (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? [])
            .filter { !$0.hasPrefix("custody.sqlite") && !$0.hasPrefix("tmp") }.sorted()
            .map { path in
                "\(path) \((try? FileManager.default.attributesOfItem(atPath: root + "/" + path))?[.size] ?? 0)"
            }
        return rows + "\n" + files.joined(separator: "\n")
    }
}

/// The local half of the role table, and what the policy and an officer's listing promise.
final class RoleTableCLITests: RoleTableTestCase {
    func testEveryRoleAgainstEveryCommand() throws { try checkEveryRoleAgainstEveryCommand() }

    /// A command line refused before its command runs (an unknown option) is recorded as the action a
    /// refusal by role is (`RoleTable.commandLineAction`), where the command records such refusals at all.
    func testARefusedCommandLineIsRecordedAsItsRoleRefusalIs() throws {
        var compared = Set<String>()
        for (index, row) in RoleTable.rows.enumerated() {
            let cell = RoleTableCell(role: .auditor, actor: RoleTableFixture.officers[.auditor]!, tag: "x\(index)",
                                     prepared: "EX-999999", fixture: fixture)
            let seq = try lastSeq()
            let r = try custody(row.argv(cell) + ["--no-such-option"], actor: cell.actor)
            XCTAssertEqual(r.status, 2, row.name)
            let recorded = try events(after: seq)
            guard !recorded.isEmpty else { continue }  // a command that records no refused command line
            XCTAssertEqual(recorded, ["officer:\(cell.actor) \(RoleTable.commandLineAction(row)) refused: unknown "
                                      + "option --no-such-option"], row.name)
            compared.insert(RoleTable.commandLineAction(row))
        }
        XCTAssertTrue(compared.isSuperset(of: ["view", "link", "share", "key", "retention", "hold", "restore"]),
                      "\(compared)")
    }

    func testThePolicyIsTheREADMETable() {
        for permission in Permission.allCases {
            for role in Role.allCases {
                XCTAssertEqual(RolePolicy.reach(role, permission), RoleTable.reach[permission]?[role],
                               "\(role.rawValue) \(permission.rawValue)")
            }
        }
    }

    func testAnOfficerListsOnlyTheirOwnRecordingsAndTheClipsCutFromThem() throws {
        try supervisor.ok(["redact", RoleTableFixture.own, "--spec", fixture.spec, "--reason", "r"])
        try supervisor.ok(["redact", RoleTableFixture.others, "--spec", fixture.spec, "--reason", "r"])
        let all = try XCTUnwrap(json(try custody(["list", "--json"])) as? [[String: Any]])
        XCTAssertEqual(all.map { $0["id"] as? String }, ["EX-000001", "EX-000002", "EX-000003", "EX-000004"])
        let own = try XCTUnwrap(json(try custody(["list", "--json"], actor: "pc.own")) as? [[String: Any]])
        XCTAssertEqual(own.map { $0["id"] as? String }, ["EX-000001", "EX-000003"])
        XCTAssertEqual(try custody(["show", "EX-000003"], actor: "pc.own").status, 0, "a clip of their recording")
        let other = try custody(["export", "EX-000004", "--out", fixture.file("x"), "--reason", "r"], actor: "pc.own")
        XCTAssertEqual(other.status, 2)
        XCTAssertTrue(other.stderr.contains("EX-000004 is not a recording of pc.own's"), other.stderr)
    }
}
