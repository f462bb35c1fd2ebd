import Foundation
import TestSupport

extension RoleTable {
    /// Retention's rows: categories, categorising, holds, closing and reopening cases, runs and restores.
    /// Each row that changes something changes objects its `prepare` made (a recording, a case, a hold), so
    /// the fixture's recordings, case and bundle stay as later rows expect them.
    static var retentionRows: [RoleTableRow] { [
        RoleTableRow(name: "category add", permission: .manageRetention) { cell in
            ["category", "add", "c-\(cell.tag)", "--keep", "100y"]
        },
        RoleTableRow(name: "category list", permission: .readRetention) { _ in ["category", "list"] },
        RoleTableRow(name: "exhibit categorise", permission: .categorise, prepare: RoleTableFixture.newRecording) {
            cell in ["exhibit", "categorise", cell.prepared!, "non-evidential"]
        },
        RoleTableRow(name: "hold add on an exhibit", permission: .manageRetention,
                     prepare: RoleTableFixture.newRecording) { cell in
            ["hold", "add", cell.prepared!, "--reason", "r"]
        },
        RoleTableRow(name: "hold add on a case", permission: .manageRetention, prepare: RoleTableFixture.newCase) {
            cell in ["hold", "add", cell.prepared!, "--reason", "r"]
        },
        RoleTableRow(name: "hold remove", permission: .manageRetention, prepare: { cell, supervisor in
            let ref = try RoleTableFixture.newCase(cell, supervisor)!
            try supervisor.ok(["hold", "add", ref, "--reason", "r"])
            return ref
        }) { cell in ["hold", "remove", cell.prepared!, "--reason", "r"] },
        RoleTableRow(name: "hold list", permission: .readRetention) { _ in ["hold", "list", "--all"] },
        RoleTableRow(name: "case close", permission: .manageRetention, prepare: RoleTableFixture.newCase) { cell in
            ["case", "close", cell.prepared!]
        },
        RoleTableRow(name: "case reopen", permission: .manageRetention, prepare: { cell, supervisor in
            let ref = try RoleTableFixture.newCase(cell, supervisor)!
            try supervisor.ok(["case", "close", ref])
            return ref
        }) { cell in ["case", "reopen", cell.prepared!] },
        RoleTableRow(name: "retention run --dry-run", permission: .readRetention) { _ in
            ["retention", "run", "--dry-run"]
        },
        // A supervisor's run finds nothing due: the fixture's recordings are in an open case, and what
        // rows made is recent or deleted already.
        RoleTableRow(name: "retention run", permission: .manageRetention) { _ in ["retention", "run", "--json"] },
        RoleTableRow(name: "restore", permission: .manageRetention, prepare: RoleTableFixture.deletedRecording) {
            cell in ["restore", cell.prepared!]
        },
    ] }
}

extension RoleTable {
    /// The action a refused command line of `row` is recorded as (by the CLI before the command runs, or
    /// by the API before it runs one): as a refusal by role is (`Permission.action`), but for the commands
    /// whose events are of their own kind (holds are `hold` events, restores `restore`) and a retention
    /// run, whose command line is read before `--dry-run` makes it a read.
    static func commandLineAction(_ row: RoleTableRow) -> String {
        ["hold add on an exhibit": "hold", "hold add on a case": "hold", "hold remove": "hold", "restore": "restore",
         "retention run --dry-run": "retention"][row.name] ?? row.permission.action.rawValue
    }
}

extension RoleTableFixture {
    /// A `prepare`: a case of the cell's own, empty and open.
    static func newCase(_ cell: RoleTableCell, _ supervisor: Runner) throws -> String? {
        try supervisor.ok(["case", "create", "CPS/\(cell.tag)"])
        return "CPS/\(cell.tag)"
    }

    /// A `prepare`: a recording of the cell's own (captured now, so no retention run deletes it).
    static func newRecording(_ cell: RoleTableCell, _ supervisor: Runner) throws -> String? {
        try ingest(cell, supervisor)
    }

    /// A `prepare`: a recording of the cell's own that retention deleted (captured and ingested in 2020,
    /// long past the 31 days `non-evidential` keeps it: `OldRecording`), restorable for 7 days.
    static func deletedRecording(_ cell: RoleTableCell, _ supervisor: Runner) throws -> String? {
        let path = cell.fixture.file("old-recording-\(cell.tag).bin")
        try Data("a recording made in 2020 for \(cell.tag)\n".utf8).write(to: URL(fileURLWithPath: path))
        let id = try OldRecording.ingest(path, into: cell.fixture.data, as: .officer(officers[.supervisor]!))
        let run = try JSONSerialization.jsonObject(with: Data(try supervisor.ok(["retention", "run", "--json"]).utf8))
        let deleted = ((run as? [String: Any])?["deleted"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
        // An earlier cell's recording a supervisor restored is due again, and deleted with it.
        guard deleted?.contains(id) == true else {
            throw NSError(domain: "retention deleted \(deleted ?? []), not \(id)", code: 1)
        }
        return id
    }

    /// Ingests a small file unique to `cell` as the supervisor and returns its exhibit ID.
    private static func ingest(_ cell: RoleTableCell, _ supervisor: Runner) throws -> String {
        let path = cell.fixture.file("recording-\(cell.tag).bin")
        try Data("a recording made for \(cell.tag)\n".utf8).write(to: URL(fileURLWithPath: path))
        let out = try supervisor.ok(["ingest", path, "--device", "BW2-8", "--json"])
        let stored = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]]
        guard let id = stored?.first?["id"] as? String else { throw NSError(domain: "no id in \(out)", code: 1) }
        return id
    }
}
