import Ledger

/// One thing a use case does, as the roles table (`RolePolicy`, README "Roles") names it. Every use
/// case of `Vault` asks `authorize` for one; a refusal is recorded as its ledger `action`.
public enum Permission: String, Sendable, CaseIterable {
    case listExhibits, showExhibit, exportExhibit, ingest, redact
    case manageCases, readCases
    case createBundle, revokeBundle, readBundles
    case verify, readLedger, report
    case manageDevices, readDevices, manageOfficers, readOfficers
    case categorise, manageRetention, readRetention
    case manageKeys, backup

    /// The ledger action a refused attempt is recorded as.
    public var action: CustodyEvent.Action {
        switch self {
        case .listExhibits, .showExhibit, .readCases, .readBundles, .readLedger, .report, .readDevices,
             .readOfficers, .readRetention: return .view
        case .exportExhibit: return .export
        case .ingest: return .ingest
        case .redact: return .redact
        case .createBundle, .revokeBundle: return .share
        case .manageCases: return .link
        case .verify: return .verify
        case .manageDevices: return .device
        case .manageOfficers: return .officer
        case .categorise, .manageRetention: return .retention
        case .manageKeys: return .key
        case .backup: return .backup
        }
    }

    /// What it lets one do, for refusals ("an auditor may not export exhibits").
    public var phrase: String {
        switch self {
        case .listExhibits: return "list exhibits"
        case .showExhibit: return "view exhibits"
        case .exportExhibit: return "export exhibits"
        case .ingest: return "ingest recordings"
        case .redact: return "redact exhibits"
        case .manageCases: return "create or change cases"
        case .readCases: return "read cases"
        case .createBundle: return "create court bundles"
        case .revokeBundle: return "revoke court bundles"
        case .readBundles: return "read court bundles"
        case .verify: return "verify the vault"
        case .readLedger: return "read the ledger"
        case .report: return "make custody reports"
        case .manageDevices: return "add or revoke docks"
        case .readDevices: return "list docks"
        case .manageOfficers: return "add or change officers"
        case .readOfficers: return "list officers"
        case .categorise: return "categorise exhibits"
        case .manageRetention: return "change retention, holds or deletions"
        case .readRetention: return "read retention rules and holds"
        case .manageKeys: return "replace the vault's keys or change where its links point"
        case .backup: return "back the vault up"
        }
    }
}
