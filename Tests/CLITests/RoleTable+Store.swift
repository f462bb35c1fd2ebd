import Foundation
import TestSupport

extension RoleTable {
    /// The chunk store's rows: run where the data directory and the store's credentials are, never through the
    /// API. On the fixture's file store gc finds nothing old and unreferenced, and sync-locks has nothing to do.
    static var storeRows: [RoleTableRow] { [
        RoleTableRow(name: "store show", permission: .readRetention, remote: false) { _ in ["store", "show", "--json"] },
        RoleTableRow(name: "store sync-locks", permission: .manageRetention, remote: false) { _ in
            ["store", "sync-locks", "--json"]
        },
        RoleTableRow(name: "store gc", permission: .manageRetention, remote: false) { _ in ["store", "gc", "--json"] },
    ] }
}
