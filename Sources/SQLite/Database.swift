import CSQLite
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// One SQLite connection. Not thread-safe: use it from one thread (or serial queue) at a time.
public final class Database {
    let handle: OpaquePointer
    public let path: String
    /// This process's writers of the same file take turns here before SQLite's lock (`transaction`).
    private let writers: WriterQueue
    private let busyTimeoutMs: Int32

    /// The SQLite library linked at run time, e.g. `3.40.1`.
    public static var libraryVersion: String { String(cString: sqlite3_libversion()) }

    /// Opens the database at `path` (creating it if needed, unless `create` is false) in WAL mode with
    /// foreign keys on and a busy timeout, so that the daemon and CLI processes can write the same file
    /// safely.
    public init(path: String, readOnly: Bool = false, create: Bool = true, busyTimeoutMs: Int32 = 10_000) throws {
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0))
            | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: rc, message: message, context: "opening \(path)")
        }
        self.handle = db
        self.path = path
        writers = WriterQueue.forFile(path)
        self.busyTimeoutMs = busyTimeoutMs
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, busyTimeoutMs)
        do {
            if !readOnly {
                try execute("PRAGMA journal_mode=WAL")
                // FULL: a committed transaction survives power loss, not only a process crash.
                try execute("PRAGMA synchronous=FULL")
            }
            try execute("PRAGMA foreign_keys=ON")
        } catch let e as SQLiteError where Self.diskIsFull(holding: path) {
            // Opening a WAL database creates its -wal and -shm files: on a full disk even reading fails,
            // with an I/O error that does not say why.
            throw SQLiteError(code: SQLITE_FULL, message: "the disk holding it is full (\(e.message))",
                              context: "opening \(path)")
        }
    }

    private static func diskIsFull(holding path: String) -> Bool {
        var fs = statvfs()
        let dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        return statvfs(dir.isEmpty ? "/" : dir, &fs) == 0 && fs.f_bavail == 0
    }

    deinit { sqlite3_close_v2(handle) }

    /// Runs one or more SQL statements that return no rows we need.
    public func execute(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &err)
        if rc != SQLITE_OK {
            let message = err.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(err)
            throw SQLiteError(code: rc, message: message, context: sql)
        }
    }

    /// Compiles `sql` into a reusable statement.
    public func prepare(_ sql: String) throws -> Statement {
        try Statement(database: self, sql: sql)
    }

    /// Runs `sql` with `bindings` and returns every row.
    @discardableResult
    public func query(_ sql: String, _ bindings: [SQLValue] = []) throws -> [Row] {
        let statement = try prepare(sql)
        try statement.bind(bindings)
        return try statement.all()
    }

    /// True while a transaction is open on this connection.
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Runs `body` in a transaction taking the write lock at once (BEGIN IMMEDIATE), so that two
    /// writers never deadlock on a lock upgrade; commits when it returns, rolls back when it throws.
    /// This process's other writers of the file wait in `WriterQueue` first.
    /// Inside an open transaction it nests as a savepoint, so callers compose.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        if isInTransaction {
            try execute("SAVEPOINT nested")
            do {
                let result = try body()
                try execute("RELEASE nested")
                return result
            } catch {
                try? execute("ROLLBACK TO nested")
                try? execute("RELEASE nested")
                throw error
            }
        }
        return try writers.inTurn(timeoutMs: busyTimeoutMs) {
            try execute("BEGIN IMMEDIATE")
            do {
                let result = try body()
                try execute("COMMIT")
                return result
            } catch {
                try? execute("ROLLBACK")
                throw error
            }
        }
    }

    /// Runs `body` in a read transaction: every query in it sees one snapshot of the database, while
    /// writers in other connections go on (WAL). Inside an open transaction it just runs `body`.
    public func readTransaction<T>(_ body: () throws -> T) throws -> T {
        if isInTransaction { return try body() }
        try execute("BEGIN DEFERRED")
        defer { try? execute("COMMIT") }
        return try body()
    }

    /// The rowid of the last inserted row on this connection.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Rows changed by the last statement.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    func error(_ rc: Int32, _ context: String) -> SQLiteError {
        SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(handle)), context: context)
    }
}
