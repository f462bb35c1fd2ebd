import CustodyCore
import Foundation
import SQLite
import TestSupport
import XCTest
@testable import Ledger

extension XCTestCase {
    /// A database in a fresh directory that is removed when the test ends.
    func makeDatabase() throws -> Database {
        let dir = TemporaryDirectory("custody-ledger")
        addTeardownBlock { dir.remove() }
        return try Database(path: dir.file("custody.sqlite"))
    }
}

final class EventLogTests: XCTestCase {
    func testSequenceNumbersAreConsecutiveAndFilteredByExhibit() throws {
        let log = try EventLog(db: try makeDatabase())
        for i in 0..<5 {
            let e = try log.append(CustodyEvent(actor: .officer("PC-1"), action: .view, exhibit: "EX-00000\(i % 2)"))
            XCTAssertEqual(e.seq, Int64(i))
        }
        XCTAssertEqual(try log.count(), 5)
        XCTAssertEqual(try log.events(exhibit: "EX-000000").map(\.seq), [0, 2, 4])
        XCTAssertEqual(try log.events(from: 3).map(\.seq), [3, 4])
    }

    func testRowsCannotBeUpdatedOrDeletedThroughSQL() throws {
        let db = try makeDatabase()
        let log = try EventLog(db: db)
        try log.append(CustodyEvent(actor: .officer("PC-1"), action: .ingest, exhibit: "EX-000001"))
        XCTAssertThrowsError(try db.execute("UPDATE events SET actor = 'someone-else'")) {
            XCTAssertTrue(String(describing: $0).contains("append-only"), String(describing: $0))
        }
        XCTAssertThrowsError(try db.execute("DELETE FROM events"))
        XCTAssertEqual(try log.events().first?.actor.id, "PC-1")
    }

    func testAFailedTransactionLeavesNoEvent() throws {
        let db = try makeDatabase()
        let log = try EventLog(db: db)
        struct Abort: Error {}
        XCTAssertThrowsError(try db.transaction {
            try log.append(CustodyEvent(actor: .officer("PC-1"), action: .export))
            throw Abort()
        })
        XCTAssertEqual(try log.count(), 0)
    }
}
