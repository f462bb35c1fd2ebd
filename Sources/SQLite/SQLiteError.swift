import CSQLite

/// A failed SQLite call with its result code, SQLite's message and the SQL or context it ran.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public let code: Int32
    public let message: String
    public let context: String

    public var description: String { "SQLite error \(code) (\(message)) in \(context)" }

    /// True for SQLITE_BUSY / SQLITE_LOCKED: another process held the database past the busy timeout.
    public var isBusy: Bool { code & 0xff == SQLITE_BUSY || code & 0xff == SQLITE_LOCKED }
    /// True for SQLITE_FULL: the disk is full.
    public var isDiskFull: Bool { code & 0xff == SQLITE_FULL }
    /// True for a UNIQUE / PRIMARY KEY constraint violation.
    public var isConstraint: Bool { code & 0xff == SQLITE_CONSTRAINT }
}
