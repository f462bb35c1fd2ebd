/// Schema versions applied in order, tracked in `PRAGMA user_version`. Each module registers its own
/// list under a distinct name so modules can evolve their tables independently.
public struct Migration: Sendable {
    public let version: Int
    public let sql: String
    public init(_ version: Int, _ sql: String) {
        self.version = version
        self.sql = sql
    }
}

extension Database {
    /// Applies each migration of `component` newer than the version recorded for it, each in its own
    /// transaction, so a crash leaves the schema at one version or the next.
    public func migrate(_ component: String, _ migrations: [Migration]) throws {
        // Up to date (the common case, every time a vault is opened): a read, no write lock taken.
        let latest = migrations.map(\.version).max() ?? 0
        if let current = try? query("SELECT version FROM schema_versions WHERE component = ?", [.text(component)])
            .first?.int(0), current >= Int64(latest) {
            // Made by a newer custody: its tables may hold what this one would misread or lose.
            if current > Int64(latest) { throw SchemaTooNew(component: component, found: Int(current), known: latest) }
            return
        }
        try execute("CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)")
        for m in migrations.sorted(by: { $0.version < $1.version }) {
            try transaction {
                let current = try query("SELECT version FROM schema_versions WHERE component = ?", [.text(component)])
                    .first?.int(0) ?? 0
                guard m.version > current else { return }
                try execute(m.sql)
                try query("INSERT INTO schema_versions (component, version) VALUES (?, ?) "
                          + "ON CONFLICT(component) DO UPDATE SET version = excluded.version",
                          [.text(component), .int(m.version)])
            }
        }
    }
}

/// A database whose schema a newer program made: refused rather than misread.
public struct SchemaTooNew: Error, CustomStringConvertible, Sendable {
    public let component: String
    public let found: Int
    public let known: Int

    public var description: String {
        "its \(component) tables are at schema version \(found), and this program knows versions up to \(known) "
            + "(a newer version of it made them)"
    }
}
