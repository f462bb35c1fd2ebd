import Foundation
import TestSupport
import XCTest
@testable import SQLite

final class WriterQueueTests: XCTestCase {
    /// As in `custody serve`: many threads, each with its own connection, writing one file at once. Each
    /// holds the write lock a few milliseconds; taking turns, none waits anywhere near its busy timeout
    /// (SQLite's polling alone let some lose every round: "database is locked" under Scripts/load).
    func testManyWriterThreadsOfOneProcessAllCommit() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("t.sqlite")
        try Database(path: path).execute("CREATE TABLE t (thread INTEGER, n INTEGER)")
        let threads = 24, each = 15
        let failures = Failures()
        let group = DispatchGroup()
        for t in 0..<threads {
            group.enter()
            Thread {
                defer { group.leave() }
                do {
                    let db = try Database(path: path, busyTimeoutMs: 1000)
                    for n in 0..<each {
                        try db.transaction {
                            try db.query("INSERT INTO t VALUES (?, ?)", [.integer(Int64(t)), .integer(Int64(n))])
                            usleep(2000)  // a commit's fsync, a ledger append's hashing
                        }
                    }
                } catch {
                    failures.add("\(error)")
                }
            }.start()
        }
        group.wait()
        XCTAssertEqual(failures.all, [])
        XCTAssertEqual(try Database(path: path).query("SELECT count(*) FROM t").first?.int(0), Int64(threads * each))
    }

    /// A thread writing through two connections to one file waits for the first's transaction no longer
    /// than its busy timeout, then gets SQLite's own answer (busy), as without the queue: never a deadlock.
    func testAThreadInATransactionOpeningAnotherOnTheSameFileGetsBusyNotADeadlock() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("t.sqlite")
        let first = try Database(path: path, busyTimeoutMs: 200)
        let second = try Database(path: path, busyTimeoutMs: 200)
        try first.execute("CREATE TABLE t (v INTEGER)")
        try first.transaction {
            try first.query("INSERT INTO t VALUES (1)")
            XCTAssertThrowsError(try second.transaction { try second.query("INSERT INTO t VALUES (2)") }) { error in
                XCTAssertEqual((error as? SQLiteError)?.isBusy, true, "\(error)")
            }
        }
        XCTAssertEqual(try second.query("SELECT v FROM t").map { $0.int(0) }, [1])
    }
}

/// Errors collected from several threads.
private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []

    func add(_ text: String) { lock.withLock { list.append(text) } }
    var all: [String] { lock.withLock { list } }
}
