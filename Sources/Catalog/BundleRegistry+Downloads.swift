import CustodyCore
import SQLite

/// What downloads need of the `bundles` table: counting a completed download, and the bundles whose
/// ZIP the sweeper may remove. SQL only; `Vault+Downloads.swift` authorizes and records.
extension BundleRegistry {
    /// Counts one completed download of `id` (a response that sent the ZIP's last byte). Runs in the
    /// caller's transaction, which records it; returns the new count.
    @discardableResult
    public func countDownload(_ id: String) throws -> Int64 {
        try db.query("UPDATE bundles SET downloads = downloads + 1 WHERE id = ?", [.text(id)])
        guard db.changes == 1 else { throw CustodyError.notFound(.bundle, "no bundle \(id)") }
        return try db.query("SELECT downloads FROM bundles WHERE id = ?", [.text(id)]).first?.int(0) ?? 0
    }

    /// Bytes of `id`'s ZIP sent to its link's recipient, or being sent (reserved when a response starts).
    public func bytesServed(_ id: String) throws -> Int64 {
        try db.query("SELECT bytes_served FROM bundles WHERE id = ?", [.text(id)]).first?.int(0) ?? 0
    }

    /// Reserves `bytes` more of `id`'s ZIP for a response, unless that would take the bytes served past
    /// `budget`; true when reserved. Runs in the caller's transaction.
    public func reserveBytes(_ id: String, _ bytes: Int64, budget: Int64) throws -> Bool {
        try db.query("UPDATE bundles SET bytes_served = bytes_served + ? WHERE id = ? AND bytes_served + ? <= ?",
                     [.integer(bytes), .text(id), .integer(bytes), .integer(budget)])
        return db.changes == 1
    }

    /// Gives back `bytes` reserved for a response that ended before sending them.
    public func releaseBytes(_ id: String, _ bytes: Int64) throws {
        try db.query("UPDATE bundles SET bytes_served = MAX(0, bytes_served - ?) WHERE id = ?",
                     [.integer(bytes), .text(id)])
    }

    /// Built bundles whose ZIP is still there (not removed): the ones the sweeper looks at for an
    /// expiry that has passed or a revocation.
    public func builtNotRemoved() throws -> [Bundle] {
        try db.query("SELECT \(Self.columns) FROM bundles WHERE state = 'done' AND removed_at IS NULL ORDER BY num")
            .map(Self.decode)
    }
}

extension BundleRegistry {
    /// The bundles that send one of `exhibits` (catalog IDs), as asked for or as the derived clip a
    /// redaction made, or that belong to one of `cases`; oldest first.
    public func bundles(sending exhibits: [String], orOf cases: [String] = []) throws -> [Bundle] {
        let marks = { (values: [String]) in values.map { _ in "?" }.joined(separator: ", ") }
        let ids = exhibits.map { SQLValue.text($0) }
        return try db.query("""
            SELECT \(Self.columns) FROM bundles WHERE num IN (SELECT bundle_num FROM bundle_items WHERE exhibit IN \
            (\(marks(exhibits))) OR derived IN (\(marks(exhibits)))) OR case_ref COLLATE NOCASE IN (\(marks(cases)))
            ORDER BY num
            """, ids + ids + cases.map { .text($0) }).map(Self.decode)
    }
}
