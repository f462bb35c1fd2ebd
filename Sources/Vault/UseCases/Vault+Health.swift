import CustodyCore
import Ledger
import SQLite

/// Whether a vault answers, for a load balancer: no event, no actor (anyone may ask).
public struct VaultHealth: Sendable {
    /// Events in the ledger.
    public let events: Int64
}

extension Vault {
    /// Opens the catalog of `directory` read-only and counts the ledger's events; throws when the
    /// catalog does not answer (within 2 s when it is busy).
    public static func health(of directory: DataDirectory) throws -> VaultHealth {
        let db = try Database(path: directory.database, readOnly: true, busyTimeoutMs: 2000)
        return VaultHealth(events: try EventLog.count(in: db))
    }
}
