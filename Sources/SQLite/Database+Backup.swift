import CSQLite
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension Database {
    /// Copies this database into a new file at `path` with SQLite's online backup API while other
    /// connections keep writing: the copy is one consistent snapshot (a write by another connection
    /// during the copy restarts it), complete and fsynced when this returns. `path` must not exist.
    /// `wal`: the copy stays in WAL mode (a live database); otherwise it becomes one self-contained
    /// file (rollback journal mode), as a backup should be.
    public func backup(to path: String, wal: Bool) throws {
        let target = try Database(path: path, busyTimeoutMs: 60_000)
        guard let backup = sqlite3_backup_init(target.handle, "main", handle, "main") else {
            throw target.error(sqlite3_errcode(target.handle), "starting the backup of \(self.path) into \(path)")
        }
        var rc: Int32
        repeat {
            rc = sqlite3_backup_step(backup, 256)  // pages a step: other connections may write between steps
            if rc == SQLITE_BUSY || rc == SQLITE_LOCKED { usleep(10_000) }
        } while rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED
        let finished = sqlite3_backup_finish(backup)
        guard rc == SQLITE_DONE, finished == SQLITE_OK else {
            throw target.error(rc == SQLITE_DONE ? finished : rc, "backing up \(self.path) into \(path)")
        }
        try target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        if !wal { try target.execute("PRAGMA journal_mode=DELETE") }
    }
}
