/// What a registered officer may do (the table is `RolePolicy`, in Vault).
public enum Role: String, Sendable, CaseIterable {
    /// Sees and exports only the recordings they made.
    case officer
    /// Ingest, export, redact, cases and bundles for any exhibit.
    case evidenceOfficer = "evidence-officer"
    /// All of that, plus retention, holds, officers and devices.
    case supervisor
    /// Read-only: catalog, ledger, reports, verify.
    case auditor

    /// The role `text` names, or an error listing the roles.
    public static func named(_ text: String) throws -> Role {
        guard let role = Role(rawValue: text) else {
            throw CustodyError.invalidInput(field: "role", "unknown role \(text.prefix(64)); roles: "
                                            + allCases.map(\.rawValue).joined(separator: ", "))
        }
        return role
    }
}
