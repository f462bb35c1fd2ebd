import Catalog
import CustodyCore
import Ledger
import Report

/// What of a custody report the acting officer's role may read. An officer may report on their own
/// recording, but not read the cases it is in, the court bundles that sent it (their recipients, the
/// other exhibits they hold), its holds or its retention: those sections and every ledger event about
/// them are left out, and the report says so (`CustodyReport.Withheld`). Events are whole leaves with
/// their proofs, so an event is shown in full or not at all.
struct ReportScope {
    /// What each permission the report needs shows, as the report names it.
    static let sections: [(Permission, [String])] = [
        (.readCases, [Withheld.cases]), (.readBundles, [Withheld.bundles]),
        (.readRetention, [Withheld.holds, Withheld.retention]),
    ]
    typealias Withheld = CustodyReport.Withheld

    let role: Role?
    /// The permissions of `sections` the role lacks.
    let missing: Set<Permission>

    func shows(_ permission: Permission) -> Bool { !missing.contains(permission) }

    /// Whether `event` is shown: one about a case needs `readCases`, one about a bundle (its `bundle`
    /// detail) `readBundles`; a hold or retention event, and retention's deletions and restores (their
    /// reasons name holds, their reasons and cases), `readRetention`.
    func shows(_ event: CustodyEvent) -> Bool {
        if event.caseID != nil && !shows(.readCases) { return false }
        if event.details["bundle"] != nil && !shows(.readBundles) { return false }
        if !shows(.readRetention) && Self.isRetention(event) { return false }
        return true
    }

    static func isRetention(_ event: CustodyEvent) -> Bool {
        switch event.action {
        case .hold, .retention, .restore: return true
        case .delete: return event.details["stage"] != nil
        default: return false
        }
    }

    /// What the report says it leaves out, `left` events of its timeline among it; nil when nothing is.
    func withheld(events left: Int) -> Withheld? {
        guard !missing.isEmpty else { return nil }
        return Withheld(role: role?.rawValue ?? "none",
                        what: Self.sections.filter { missing.contains($0.0) }.flatMap(\.1), events: left)
    }
}

extension Vault {
    /// What `actor` (an officer already authorized to make the report) may read of it.
    func reportScope(_ actor: Actor) throws -> ReportScope {
        let role = try role(of: actor)
        let missing = ReportScope.sections.map(\.0).filter { permission in
            role.map { RolePolicy.reach($0, permission) == .none } ?? true
        }
        return ReportScope(role: role, missing: Set(missing))
    }
}
