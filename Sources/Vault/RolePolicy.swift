import CustodyCore

/// Who may do what: the one table every use case is checked against (through `Vault.authorize`).
/// The README's roles table is this table.
public enum RolePolicy {
    /// How far a role reaches for a permission.
    public enum Reach: Sendable, Equatable {
        /// Refused.
        case none
        /// Only on exhibits the officer recorded (the exhibit's `officer`; a derived clip's parent's).
        case own
        /// On anything.
        case all
    }

    public static func reach(_ role: Role, _ permission: Permission) -> Reach {
        switch (role, permission) {
        case (.supervisor, _):
            return .all
        case (.officer, .listExhibits), (.officer, .showExhibit), (.officer, .exportExhibit), (.officer, .report):
            return .own
        case (.officer, _):
            return .none
        case (.evidenceOfficer, .manageDevices), (.evidenceOfficer, .manageOfficers),
             (.evidenceOfficer, .readOfficers), (.evidenceOfficer, .manageRetention), (.evidenceOfficer, .manageKeys):
            return .none
        case (.evidenceOfficer, _):
            return .all
        case (.auditor, .listExhibits), (.auditor, .showExhibit), (.auditor, .readCases), (.auditor, .readBundles),
             (.auditor, .verify), (.auditor, .readLedger), (.auditor, .report), (.auditor, .readDevices),
             (.auditor, .readOfficers), (.auditor, .readRetention):
            return .all
        case (.auditor, _):
            return .none
        }
    }

    public static func allows(_ role: Role, _ permission: Permission) -> Bool { reach(role, permission) != .none }
}
