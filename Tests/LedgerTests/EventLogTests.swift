import CustodyCore
import Foundation
import SQLite
import TestSupport
import XCTest
@testable import Ledger

enum TestDatabase {
    static let dirs = TemporaryDirectoryPool()
    static func make() throws -> Database { try Database(path: dirs.next().file("custody.sqlite")) }
}

/// Keeps test directories alive for the whole test run.
final class TemporaryDirectoryPool: @unchecked Sendable {
    private let lock = NSLock()
    private var dirs = [TemporaryDirectory]()
    func next() -> TemporaryDirectory {
        let d = TemporaryDirectory("custody-ledger")
        lock.lock(); dirs.append(d); lock.unlock()
        return d
    }
}

final class EventLogTests: XCTestCase {
    func testSequenceNumbersAreConsecutiveAndFilteredByExhibit() throws {
        let log = try EventLog(db: try TestDatabase.make())
        for i in 0..<5 {
            let e = try log.append(CustodyEvent(actor: .officer("PC-1"), action: .view, exhibit: "EX-00000\(i % 2)"))
            XCTAssertEqual(e.seq, Int64(i))
        }
        XCTAssertEqual(try log.count(), 5)
        XCTAssertEqual(try log.events(exhibit: "EX-000000").map(\.seq), [0, 2, 4])
        XCTAssertEqual(try log.events(from: 3).map(\.seq), [3, 4])
    }

    func testRowsCannotBeUpdatedOrDeletedThroughSQL() throws {
        let db = try TestDatabase.make()
        let log = try EventLog(db: db)
        try log.append(CustodyEvent(actor: .officer("PC-1"), action: .ingest, exhibit: "EX-000001"))
        XCTAssertThrowsError(try db.execute("UPDATE events SET actor = 'someone-else'")) {
            XCTAssertTrue(String(describing: $0).contains("append-only"), String(describing: $0))
        }
        XCTAssertThrowsError(try db.execute("DELETE FROM events"))
        XCTAssertEqual(try log.events().first?.actor.id, "PC-1")
    }

    func testAFailedTransactionLeavesNoEvent() throws {
        let db = try TestDatabase.make()
        let log = try EventLog(db: db)
        struct Abort: Error {}
        XCTAssertThrowsError(try db.transaction {
            try log.append(CustodyEvent(actor: .officer("PC-1"), action: .export))
            throw Abort()
        })
        XCTAssertEqual(try log.count(), 0)
    }
}
