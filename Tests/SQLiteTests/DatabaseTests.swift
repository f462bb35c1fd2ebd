import TestSupport
import XCTest
@testable import SQLite

final class DatabaseTests: XCTestCase {
    func testRoundTripsEveryValueKindInWALFile() throws {
        let dir = TemporaryDirectory()
        let db = try Database(path: dir.file("t.sqlite"))
        XCTAssertEqual(try db.query("PRAGMA journal_mode").first?.text(0), "wal")
        try db.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n TEXT)")
        try db.query("INSERT INTO t VALUES (?, ?, ?, ?, ?)", [.integer(-7), .real(2.5), .text("é\"x"), .blob([0, 1, 255]), .null])
        let row = try XCTUnwrap(db.query("SELECT i, r, s, b, n FROM t").first)
        XCTAssertEqual(row.values, [.integer(-7), .real(2.5), .text("é\"x"), .blob([0, 1, 255]), .null])
    }

    func testTransactionRollsBackOnThrowAndNestsAsSavepoint() throws {
        let dir = TemporaryDirectory()
        let db = try Database(path: dir.file("t.sqlite"))
        try db.execute("CREATE TABLE t (v INTEGER)")
        struct Boom: Error {}
        XCTAssertThrowsError(try db.transaction {
            try db.query("INSERT INTO t VALUES (1)")
            throw Boom()
        })
        try db.transaction {
            try db.query("INSERT INTO t VALUES (2)")
            XCTAssertThrowsError(try db.transaction {
                try db.query("INSERT INTO t VALUES (3)")
                throw Boom()
            })
        }
        XCTAssertEqual(try db.query("SELECT v FROM t ORDER BY v").map { $0.int(0) }, [2])
        XCTAssertFalse(db.isInTransaction)
    }

    func testErrorsCarryCodeAndContext() throws {
        let dir = TemporaryDirectory()
        let db = try Database(path: dir.file("t.sqlite"))
        try db.execute("CREATE TABLE t (v INTEGER PRIMARY KEY)")
        try db.query("INSERT INTO t VALUES (1)")
        do {
            try db.query("INSERT INTO t VALUES (1)")
            XCTFail("duplicate key accepted")
        } catch let e as SQLiteError {
            XCTAssertTrue(e.isConstraint)
            XCTAssertTrue(e.context.contains("INSERT INTO t"))
        }
        XCTAssertThrowsError(try db.prepare("SELEKT 1"))
        XCTAssertThrowsError(try Database(path: dir.file("missing/dir/x.sqlite")))
    }

    func testMigrationsApplyOnceAndInOrder() throws {
        let dir = TemporaryDirectory()
        let migrations = [Migration(2, "ALTER TABLE a ADD COLUMN y INTEGER"), Migration(1, "CREATE TABLE a (x INTEGER)")]
        try Database(path: dir.file("t.sqlite")).migrate("test", migrations)
        let db = try Database(path: dir.file("t.sqlite"))
        try db.migrate("test", migrations)
        try db.query("INSERT INTO a (x, y) VALUES (1, 2)")
        XCTAssertEqual(try db.query("SELECT version FROM schema_versions WHERE component = 'test'").first?.int(0), 2)
    }

    func testOpeningWithoutCreateNeverMakesAFile() throws {
        let dir = TemporaryDirectory()
        XCTAssertThrowsError(try Database(path: dir.file("gone.sqlite"), create: false))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("gone.sqlite")),
                       "a vault whose catalog was removed is not given a new empty one (the service's tasks open it)")
        _ = try Database(path: dir.file("made.sqlite"))
        XCTAssertNoThrow(try Database(path: dir.file("made.sqlite"), create: false))
    }

    func testASchemaNewerThanTheProgramIsRefusedAndLeftAsItIs() throws {
        let dir = TemporaryDirectory()
        let db = try Database(path: dir.file("t.sqlite"))
        try db.migrate("test", [Migration(1, "CREATE TABLE a (x INTEGER)"), Migration(2, "ALTER TABLE a ADD COLUMN y")])
        XCTAssertThrowsError(try db.migrate("test", [Migration(1, "CREATE TABLE a (x INTEGER)")])) { error in
            XCTAssertEqual("\(error)", "its test tables are at schema version 2, and this program knows versions up "
                           + "to 1 (a newer version of it made them)")
        }
        XCTAssertEqual(try db.query("SELECT version FROM schema_versions WHERE component = 'test'").first?.int(0), 2)
    }

    func testTwoConnectionsWriteTheSameFileWithoutLosingRows() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("t.sqlite")
        try Database(path: path).execute("CREATE TABLE t (v INTEGER)")
        DispatchQueue.concurrentPerform(iterations: 2) { lane in
            let db = try! Database(path: path)
            for i in 0..<200 {
                try! db.transaction { try db.query("INSERT INTO t VALUES (?)", [.int(lane * 1000 + i)]) }
            }
        }
        XCTAssertEqual(try Database(path: path).query("SELECT COUNT(*) FROM t").first?.int(0), 400)
    }
}
