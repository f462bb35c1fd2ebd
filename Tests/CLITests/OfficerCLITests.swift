import Foundation
import TestSupport
import XCTest

/// `custody officer add|list|disable|role|token`, `init` registering the first supervisor, and `--as`
/// naming an officer who is not registered or is disabled.
final class OfficerCLITests: CLITestCase {
    func testInitRegistersTheFirstSupervisorAndPrintsTheirTokenOnce() throws {
        let fresh = dir.file("fresh")
        let made = try XCTUnwrap(json(try custody(["init", "--data", fresh, "--as", "sgt.jones", "--json"], actor: nil))
                                 as? [String: Any])
        XCTAssertEqual(made["created"] as? Bool, true)
        XCTAssertEqual(made["supervisor"] as? String, "sgt.jones")
        let token = try XCTUnwrap(made["token"] as? String)
        XCTAssertTrue(token.hasPrefix("cot_") && token.utf8.count == 47, token)
        let again = try XCTUnwrap(json(try custody(["init", "--data", fresh, "--as", "sgt.jones", "--json"],
                                                   actor: nil)) as? [String: Any])
        XCTAssertEqual(again["created"] as? Bool, false)
        XCTAssertNil(again["token"], "the token is shown once")
        let listed = try XCTUnwrap(json(try custody(["officer", "list", "--data", fresh, "--json"],
                                                    actor: "sgt.jones")) as? [[String: Any]])
        XCTAssertEqual(listed.map { $0["id"] as? String }, ["sgt.jones"])
        XCTAssertEqual(listed.map { $0["role"] as? String }, ["supervisor"])
        XCTAssertEqual(listed.map { $0["created_by"] as? String }, ["system:custody"])
        let database = try String(contentsOfFile: fresh + "/custody.sqlite", encoding: .isoLatin1)
        XCTAssertFalse(database.contains(token), "only the token's SHA-256 is stored")

        // In text, the token is on a line of its own after saying whose it is.
        let text = try custody(["init", "--data", dir.file("text")], actor: "sgt.smith")
        XCTAssertEqual(text.status, 0, text.stderr)
        let lines = text.stdout.split(separator: "\n")
        XCTAssertTrue(lines.dropLast().last?.contains("Registered sgt.smith as the first supervisor") == true,
                      text.stdout)
        XCTAssertTrue(lines.last?.hasPrefix("cot_") == true, text.stdout)
    }

    func testInitOfANewVaultWithoutAnOfficerIsRefusedAndCreatesNothing() throws {
        let fresh = dir.file("nobody")
        let r = try custody(["init", "--data", fresh, "--json"], actor: nil)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("a new vault needs its first supervisor: give --as ID or set CUSTODY_ACTOR"),
                      r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: fresh))
        // An existing vault needs no officer to be opened again (nothing to do).
        XCTAssertEqual(try custody(["init"], actor: nil).status, 0)
    }

    func testAddListRoleTokenDisable() throws {
        let added = try XCTUnwrap(json(try custody(["officer", "add", "PC-2", "--name", "Jo Bloggs", "--role",
                                                    "evidence-officer", "--json"])) as? [String: Any])
        XCTAssertEqual(added["officer"] as? String, "PC-2")
        XCTAssertTrue((added["token"] as? String)?.hasPrefix("cot_") == true)
        let text = try custody(["officer", "add", "PC-3", "--name", "Al", "--role", "auditor"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.hasPrefix("cot_") && text.stdout.split(separator: "\n").count == 1, text.stdout)
        XCTAssertTrue(text.stderr.contains("shown only once"), text.stderr)

        let taken = try custody(["officer", "add", "pc-2", "--name", "X", "--role", "officer"])
        XCTAssertEqual(taken.status, 2, "one officer, whatever the letter case")
        XCTAssertTrue(taken.stderr.contains("officer PC-2 is already registered; `custody officer list` shows them"),
                      taken.stderr)
        let again = try custody(["officer", "add", "PC-2", "--name", "X", "--role", "officer"])
        XCTAssertEqual(again.status, 2)
        let badRole = try custody(["officer", "add", "PC-4", "--name", "X", "--role", "chief"])
        XCTAssertEqual(badRole.status, 2)
        XCTAssertTrue(badRole.stderr.contains("unknown role chief; roles: officer, evidence-officer, supervisor, "
                                              + "auditor"), badRole.stderr)

        XCTAssertEqual(try custody(["officer", "role", "PC-2", "officer"]).status, 0)
        let rotated = try XCTUnwrap(json(try custody(["officer", "token", "PC-2", "--json"])) as? [String: Any])
        XCTAssertNotEqual(rotated["token"] as? String, added["token"] as? String)
        XCTAssertEqual(try custody(["officer", "disable", "PC-2"]).status, 0)
        let twice = try custody(["officer", "disable", "PC-2"])
        XCTAssertEqual(twice.status, 2)
        XCTAssertTrue(twice.stderr.contains("officer PC-2 is already disabled"), twice.stderr)

        let listed = try XCTUnwrap(json(try custody(["officer", "list", "--json"], actor: "PC-3")) as? [[String: Any]])
        XCTAssertEqual(listed.map { $0["id"] as? String }, ["PC-1", "PC-2", "PC-3"])
        XCTAssertEqual(listed.map { $0["role"] as? String }, ["supervisor", "officer", "auditor"])
        XCTAssertEqual(listed.map { $0["active"] as? Bool }, [true, false, true])
        XCTAssertNotNil(listed[1]["disabled_at"] as? String)
        XCTAssertFalse(try custody(["officer", "list", "--json"], actor: "PC-3").stdout.contains("cot_"))

        let officerEvents = try eventRows().filter { $0.hasPrefix("officer|") }
        // Added (PC-1 at init, PC-2, PC-3), pc-2 and PC-2 taken, the unknown role, the role, the token,
        // disabled, disabled twice.
        XCTAssertEqual(officerEvents, ["officer|ok|", "officer|ok|", "officer|ok|", "officer|refused|",
                                       "officer|refused|", "officer|refused|", "officer|ok|", "officer|ok|",
                                       "officer|ok|", "officer|refused|"])
        XCTAssertEqual(try custody(["ledger", "verify"]).status, 0)
    }

    func testOnlyASupervisorManagesOfficersAndTheVaultKeepsOne() throws {
        try addOfficer("PC-2", role: "evidence-officer")
        try addOfficer("PC-3", role: "auditor")
        for (actor, role) in [("PC-2", "an evidence-officer"), ("PC-3", "an auditor")] {
            let r = try custody(["officer", "add", "PC-9", "--name", "X", "--role", "supervisor"], actor: actor)
            XCTAssertEqual(r.status, 2)
            XCTAssertTrue(r.stderr.contains("\(role) may not add or change officers"), r.stderr)
        }
        let listByOfficer = try custody(["officer", "list"], actor: "PC-2")
        XCTAssertEqual(listByOfficer.status, 2)

        let selfDisable = try custody(["officer", "disable", "PC-1"])
        XCTAssertEqual(selfDisable.status, 2)
        XCTAssertTrue(selfDisable.stderr.contains("officer PC-1 may not disable themselves"), selfDisable.stderr)
        let demote = try custody(["officer", "role", "PC-1", "auditor"])
        XCTAssertEqual(demote.status, 2)
        XCTAssertTrue(demote.stderr.contains("PC-1 is the last active supervisor"), demote.stderr)

        XCTAssertEqual(try custody(["officer", "role", "PC-2", "supervisor"]).status, 0)
        XCTAssertEqual(try custody(["officer", "role", "PC-1", "auditor"]).status, 0, "PC-2 supervises now")
        let last = try custody(["officer", "disable", "PC-2"], actor: "PC-1")
        XCTAssertEqual(last.status, 2, "an auditor manages no officers")
        XCTAssertEqual(try refusedEvents(), [
            "officer:PC-2 officer: an evidence-officer may not add or change officers",
            "officer:PC-3 officer: an auditor may not add or change officers",
            "officer:PC-2 view: an evidence-officer may not list officers",
            "officer:PC-1 officer: officer PC-1 may not disable themselves; another supervisor can",
            "officer:PC-1 officer: PC-1 is the last active supervisor; giving another role to them would leave no "
                + "one to manage officers: make another officer a supervisor first",
            "officer:PC-1 officer: an auditor may not add or change officers",
        ])
        let listed = try XCTUnwrap(json(try custody(["officer", "list", "--json"], actor: "PC-2")) as? [[String: Any]])
        XCTAssertEqual(listed.filter { $0["role"] as? String == "supervisor" }.map { $0["id"] as? String }, ["PC-2"])
    }

    func testAnUnknownOrDisabledOfficerIsRefusedAndRecorded() throws {
        let video = TestPaths.fixture("bodycam-b.mp4")
        let unknown = try custody(["ingest", video, "--device", "D1"], actor: "PC-404")
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.stderr.contains("officer PC-404 is not registered; a supervisor registers officers "
                                              + "with `custody officer add`"), unknown.stderr)
        try addOfficer("PC-2", role: "evidence-officer")
        XCTAssertEqual(try custody(["ingest", video, "--device", "D1"], actor: "PC-2").status, 0)
        XCTAssertEqual(try custody(["officer", "disable", "PC-2"]).status, 0)
        let rows = try custody(["list", "--json"]).stdout
        for args in [["list"], ["show", "EX-000001"], ["ledger", "log"],
                     ["export", "EX-000001", "--out", dir.file("x"), "--reason", "r"]] {
            let r = try custody(args, actor: "PC-2")
            XCTAssertEqual(r.status, 2, "\(args)")
            XCTAssertTrue(r.stderr.contains("officer PC-2 is disabled"), "\(args): \(r.stderr)")
        }
        let viaFlag = try custody(["show", "EX-000001", "--as", "PC-404"], actor: nil)
        XCTAssertEqual(viaFlag.status, 2)
        XCTAssertEqual(try refusedEvents(), [
            "officer:PC-404 ingest: officer PC-404 is not registered",
            "officer:PC-2 view: officer PC-2 is disabled", "officer:PC-2 view: officer PC-2 is disabled",
            "officer:PC-2 view: officer PC-2 is disabled", "officer:PC-2 export: officer PC-2 is disabled",
            "officer:PC-404 view: officer PC-404 is not registered",
        ])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("x")))
        XCTAssertEqual(try custody(["list", "--json"]).stdout, rows, "nothing changed")
    }

    /// `unauthenticated` is the ledger's actor for refused requests without a valid token (an officer's on the
    /// API, a dock's on uploads): no officer or dock may take it, and no vault is made for it.
    func testUnauthenticatedIsReservedForOfficersAndDocks() throws {
        let reserved = " is reserved (the ledger's actor for refused attempts by someone not authenticated); "
            + "choose another"
        let fresh = dir.file("fresh")
        let initialized = try custody(["init", "--data", fresh, "--as", "unauthenticated"], actor: nil)
        XCTAssertEqual(initialized.status, 2)
        XCTAssertTrue(initialized.stderr.contains("officer ID unauthenticated" + reserved), initialized.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: fresh), "no vault made")
        let officer = try custody(["officer", "add", "UNAUTHENTICATED", "--name", "X", "--role", "auditor"])
        XCTAssertEqual(officer.status, 2)
        XCTAssertTrue(officer.stderr.contains("officer ID UNAUTHENTICATED" + reserved), officer.stderr)
        let device = try custody(["device", "add", "unauthenticated"])
        XCTAssertEqual(device.status, 2)
        XCTAssertTrue(device.stderr.contains("device name unauthenticated" + reserved), device.stderr)
        XCTAssertEqual(try refusedEvents(), ["officer:PC-1 officer: officer ID UNAUTHENTICATED" + reserved,
                                             "officer:PC-1 device: device name unauthenticated" + reserved])
        XCTAssertEqual(try sqliteLines("SELECT count(*) FROM officers WHERE lower(id) = 'unauthenticated'"), ["0"])
    }

    /// A login named like custody itself is still only a login: no officer, so nothing is allowed.
    func testALoginNamedCustodyIsNotCustodyItself() throws {
        let r = try runProcess(TestPaths.custodyBinary, ["officer", "add", "PC-9", "--name", "X", "--role",
                                                         "supervisor"],
                               environment: ["CUSTODY_DATA": data, "CUSTODY_ACTOR": "", "USER": "custody"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("no acting officer"), r.stderr)
        XCTAssertEqual(try refusedEvents(), ["system:login-custody officer: no acting officer"])
    }
}
