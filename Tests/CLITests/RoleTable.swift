import CustodyCore
import Foundation
import TestSupport
import Vault

/// The roles table of the README, and every command of the CLI as a row of it: the permission it needs,
/// the command line, and whether it touches the acting officer's own recording or another's. A runner
/// runs each row as each role: locally on the data directory with `--as` (`RoleTableCLITests`), or
/// through the API with `--server` and the role's token. Rows name no actor and no data directory: the
/// runner adds them.
struct RoleTableRow {
    /// The exhibit a row touches, for permissions an officer has on their own recordings only.
    enum Target: Sendable { case none, own, others }

    let name: String
    let permission: Permission
    var target: Target = .none
    /// Made ready by the fixture's supervisor (or on disk) before the row runs as a role: something of its
    /// own to change (a dock, an officer, a case, a bundle, a file). Returns what `argv` names, if anything.
    var prepare: ((RoleTableCell, RoleTableFixture.Runner) throws -> String?)? = nil
    /// False for a command the CLI never sends to a server (`backup` runs where the data directory is).
    var remote = true
    let argv: (RoleTableCell) -> [String]

    /// Whether `role` may run this row, by the README's table (`RoleTable.reach`).
    func allows(_ role: Role) -> Bool {
        switch RoleTable.reach[permission]?[role] ?? RolePolicy.Reach.none {
        case .all: return true
        case .own: return target != .others
        case .none: return false
        }
    }
}

/// One row run as one role.
struct RoleTableCell {
    let role: Role
    /// The officer acting: `RoleTableFixture.officers[role]`.
    let actor: String
    /// Unique to the cell, for names it creates (`r7-auditor`).
    let tag: String
    /// What the row's `prepare` returned.
    var prepared: String?
    let fixture: RoleTableFixture
}

enum RoleTable {
    /// The README's roles table: how far each role reaches for each permission (officer, evidence-officer,
    /// supervisor, auditor). Written out here, not taken from `RolePolicy`, so the test checks the policy.
    static let reach: [Permission: [Role: RolePolicy.Reach]] = {
        let rows: [(Permission, String)] = [
            (.listExhibits, "own all all all"), (.showExhibit, "own all all all"),
            (.exportExhibit, "own all all none"), (.ingest, "none all all none"), (.redact, "none all all none"),
            (.manageCases, "none all all none"), (.readCases, "none all all all"),
            (.createBundle, "none all all none"), (.revokeBundle, "none all all none"),
            (.readBundles, "none all all all"), (.verify, "none all all all"), (.readLedger, "none all all all"),
            (.report, "own all all all"), (.manageDevices, "none none all none"),
            (.readDevices, "none all all all"), (.manageOfficers, "none none all none"),
            (.readOfficers, "none none all all"), (.categorise, "none all all none"),
            (.manageRetention, "none none all none"), (.readRetention, "none all all all"),
            (.manageKeys, "none none all none"), (.backup, "none none all none"),
        ]
        let roles: [Role] = [.officer, .evidenceOfficer, .supervisor, .auditor]
        return Dictionary(uniqueKeysWithValues: rows.map { permission, text in
            let reaches = text.split(separator: " ").map { word -> RolePolicy.Reach in
                word == "all" ? .all : word == "own" ? .own : .none
            }
            return (permission, Dictionary(uniqueKeysWithValues: zip(roles, reaches)))
        })
    }()

    /// Every command of the CLI that acts for an officer (retention's in `retentionRows`).
    static var rows: [RoleTableRow] { [
        RoleTableRow(name: "list", permission: .listExhibits) { _ in ["list", "--json"] },
        RoleTableRow(name: "show own", permission: .showExhibit, target: .own) { _ in ["show", RoleTableFixture.own] },
        RoleTableRow(name: "show another's", permission: .showExhibit, target: .others) { _ in
            ["show", RoleTableFixture.others]
        },
        RoleTableRow(name: "report own", permission: .report, target: .own) { _ in
            ["report", RoleTableFixture.own, "--json"]
        },
        RoleTableRow(name: "report another's", permission: .report, target: .others) { _ in
            ["report", RoleTableFixture.others, "--json"]
        },
        RoleTableRow(name: "export own", permission: .exportExhibit, target: .own) { cell in
            ["export", RoleTableFixture.own, "--out", cell.fixture.file("export-\(cell.tag).mp4"), "--reason", "r"]
        },
        RoleTableRow(name: "export another's", permission: .exportExhibit, target: .others) { cell in
            ["export", RoleTableFixture.others, "--out", cell.fixture.file("export-\(cell.tag).mp4"), "--reason", "r"]
        },
        RoleTableRow(name: "ingest", permission: .ingest, prepare: { cell, _ in
            let path = cell.fixture.file("card-\(cell.tag).bin")
            try Data("a recording of \(cell.tag)\n".utf8).write(to: URL(fileURLWithPath: path))
            return path
        }) { cell in ["ingest", cell.prepared!, "--device", "BW2-9"] },
        RoleTableRow(name: "redact", permission: .redact) { cell in
            ["redact", RoleTableFixture.own, "--spec", cell.fixture.spec, "--reason", "r"]
        },
        RoleTableRow(name: "case create", permission: .manageCases) { cell in ["case", "create", "CPS/\(cell.tag)"] },
        RoleTableRow(name: "case add", permission: .manageCases, prepare: { cell, supervisor in
            try supervisor.ok(["case", "create", "CPS/\(cell.tag)"])
            return "CPS/\(cell.tag)"
        }) { cell in ["case", "add", cell.prepared!, RoleTableFixture.own] },
        RoleTableRow(name: "case list", permission: .readCases) { _ in ["case", "list"] },
        RoleTableRow(name: "case show", permission: .readCases) { _ in ["case", "show", RoleTableFixture.caseRef] },
        RoleTableRow(name: "bundle create", permission: .createBundle) { _ in
            ["bundle", "create", "--case", RoleTableFixture.caseRef, "--recipient", "clerk@court.example"]
        },
        RoleTableRow(name: "bundle revoke", permission: .revokeBundle, prepare: { _, supervisor in
            try RoleTableFixture.id(of: try supervisor.ok(["bundle", "create", "--case", RoleTableFixture.caseRef,
                                                            "--recipient", "clerk@court.example", "--json"]))
        }) { cell in ["bundle", "revoke", cell.prepared!, "--reason", "r"] },
        RoleTableRow(name: "bundle list", permission: .readBundles) { _ in ["bundle", "list"] },
        RoleTableRow(name: "bundle show", permission: .readBundles) { _ in
            ["bundle", "show", RoleTableFixture.bundle]
        },
        RoleTableRow(name: "verify", permission: .verify) { _ in ["verify"] },
        RoleTableRow(name: "ledger log", permission: .readLedger) { _ in ["ledger", "log"] },
        RoleTableRow(name: "ledger log of an exhibit", permission: .readLedger) { _ in
            ["ledger", "log", RoleTableFixture.own]
        },
        RoleTableRow(name: "ledger checkpoint", permission: .readLedger) { _ in ["ledger", "checkpoint"] },
        RoleTableRow(name: "ledger proof", permission: .readLedger) { _ in ["ledger", "proof", "0"] },
        RoleTableRow(name: "ledger consistency", permission: .readLedger) { cell in
            ["ledger", "consistency", cell.fixture.checkpoint]
        },
        RoleTableRow(name: "ledger key", permission: .readLedger) { _ in ["ledger", "key"] },
        RoleTableRow(name: "ledger verify", permission: .readLedger) { _ in ["ledger", "verify"] },
        RoleTableRow(name: "device add", permission: .manageDevices) { cell in ["device", "add", "dock-\(cell.tag)"] },
        RoleTableRow(name: "rotate-key link", permission: .manageKeys) { _ in ["rotate-key", "link", "--reason", "r"] },
        RoleTableRow(name: "rotate-key ledger", permission: .manageKeys) { _ in
            ["rotate-key", "ledger", "--reason", "r"]
        },
        RoleTableRow(name: "backup", permission: .backup, remote: false) { cell in
            ["backup", cell.fixture.file("backup-\(cell.tag)")]
        },
        RoleTableRow(name: "device revoke", permission: .manageDevices, prepare: { cell, supervisor in
            try supervisor.ok(["device", "add", "dock-\(cell.tag)"])
            return "dock-\(cell.tag)"
        }) { cell in ["device", "revoke", cell.prepared!] },
        RoleTableRow(name: "device list", permission: .readDevices) { _ in ["device", "list"] },
        RoleTableRow(name: "worker add", permission: .manageDevices) { cell in ["worker", "add", "wk-\(cell.tag)"] },
        RoleTableRow(name: "worker revoke", permission: .manageDevices, prepare: { cell, supervisor in
            try supervisor.ok(["worker", "add", "wk-\(cell.tag)"])
            return "wk-\(cell.tag)"
        }) { cell in ["worker", "revoke", cell.prepared!] },
        RoleTableRow(name: "worker list", permission: .readDevices) { _ in ["worker", "list"] },
        RoleTableRow(name: "officer add", permission: .manageOfficers) { cell in
            ["officer", "add", "o-\(cell.tag)", "--name", "N", "--role", "officer"]
        },
        RoleTableRow(name: "officer disable", permission: .manageOfficers, prepare: RoleTableFixture.newOfficer) {
            cell in ["officer", "disable", cell.prepared!]
        },
        RoleTableRow(name: "officer role", permission: .manageOfficers, prepare: RoleTableFixture.newOfficer) {
            cell in ["officer", "role", cell.prepared!, "auditor"]
        },
        RoleTableRow(name: "officer token", permission: .manageOfficers, prepare: RoleTableFixture.newOfficer) {
            cell in ["officer", "token", cell.prepared!]
        },
        RoleTableRow(name: "officer list", permission: .readOfficers) { _ in ["officer", "list"] },
    ] + retentionRows + storeRows }
}

/// What every row finds in the vault, made by its first supervisor: an officer of each role, a recording
/// of the officer-role officer's (`own`) and another (`others`), both in case `caseRef`, a bundle of it,
/// a dock, a checkpoint kept outside and a redaction spec.
struct RoleTableFixture {
    /// Runs a command line as the fixture's supervisor.
    struct Runner {
        let run: ([String]) throws -> ProcessResult

        /// Runs `argv` and returns its stdout; throws unless it exits 0.
        @discardableResult
        func ok(_ argv: [String]) throws -> String {
            let r = try run(argv)
            guard r.status == 0 else {
                throw NSError(domain: "custody \(argv.joined(separator: " ")): \(r.stderr)", code: Int(r.status))
            }
            return r.stdout
        }
    }

    static let officers: [Role: String] = [.officer: "pc.own", .evidenceOfficer: "eo.1", .supervisor: "PC-1",
                                           .auditor: "aud.1"]
    static let own = "EX-000001"
    static let others = "EX-000002"
    static let caseRef = "CPS/1"
    static let bundle = "BN-000001"

    /// Where its files go (not the data directory).
    let folder: String
    /// The data directory, for what only a vault in this process can do (an ingest dated 2020).
    let data: String
    var spec: String { file("spec.json") }
    var checkpoint: String { file("kept.cp") }
    func file(_ name: String) -> String { folder + "/" + name }

    /// Builds it on a vault whose first supervisor `supervisor` runs as (`officers[.supervisor]`).
    func make(_ supervisor: Runner) throws {
        for role in [Role.officer, .evidenceOfficer, .auditor] {
            try supervisor.ok(["officer", "add", Self.officers[role]!, "--name", role.rawValue, "--role",
                               role.rawValue])
        }
        try supervisor.ok(["ingest", TestPaths.fixture("bodycam-a.mp4"), "--device", "BW2-1", "--officer",
                           Self.officers[.officer]!])
        try supervisor.ok(["ingest", TestPaths.fixture("bodycam-b.mp4"), "--device", "BW2-2"])
        try supervisor.ok(["case", "create", Self.caseRef])
        try supervisor.ok(["case", "add", Self.caseRef, Self.own, Self.others])
        _ = try Self.id(of: try supervisor.ok(["bundle", "create", "--case", Self.caseRef, "--recipient",
                                               "clerk@court.example", "--json"]))
        try supervisor.ok(["device", "add", "dock-1"])
        try supervisor.ok(["ledger", "checkpoint"]).write(toFile: checkpoint, atomically: true, encoding: .utf8)
        try #"{"clip": [0.5, 1.0]}"#.write(toFile: spec, atomically: true, encoding: .utf8)
    }

    /// The `id` of a `--json` answer.
    static func id(of json: String) throws -> String {
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        guard let id = object?["id"] as? String else { throw NSError(domain: "no id in \(json)", code: 1) }
        return id
    }

    /// A `prepare`: an officer of the cell's own, for a row that changes one.
    static func newOfficer(_ cell: RoleTableCell, _ supervisor: Runner) throws -> String? {
        try supervisor.ok(["officer", "add", "o-\(cell.tag)", "--name", "N", "--role", "evidence-officer"])
        return "o-\(cell.tag)"
    }
}
