import Catalog
import CustodyCore
import SQLite
import TestSupport
import XCTest

final class BundleRegistryTests: XCTestCase {
    func testAJobIsQueuedWithItsItemsAndReadBack() throws {
        let dir = TemporaryDirectory()
        let db = try Database(path: dir.path + "/c.sqlite")
        let registry = try BundleRegistry(db: db)
        let items = [BundleRegistry.Item(index: 0, exhibit: "EX-000001", spec: nil),
                     BundleRegistry.Item(index: 1, exhibit: "EX-000002", spec: Array("{}".utf8))]
        let id = try registry.insert(caseRef: "CPS/1", recipient: "clerk@cps.gov.uk", createdBy: "PC-1",
                                     expiresIn: 86_400, maxDownloads: 3, items: items, now: "2026-12-07T00:00:00Z")
        XCTAssertEqual(id, "BN-000001")
        let second = try registry.insert(caseRef: "CPS/1", recipient: "x", createdBy: "PC-1", expiresIn: 1,
                                         maxDownloads: nil, items: [], now: "2026-12-07T00:00:01Z")
        XCTAssertEqual(second, "BN-000002")
        let found = try registry.get("bn-000001")
        XCTAssertEqual(found.state, .queued)
        XCTAssertEqual(found.maxDownloads, 3)
        XCTAssertEqual(found.attempts, 0)
        XCTAssertEqual(try registry.items(of: id), items)
        XCTAssertEqual(try registry.items(of: id).map(\.sent), ["EX-000001", nil])
        XCTAssertEqual(try registry.all().map(\.id), ["BN-000002", "BN-000001"])
        XCTAssertThrowsError(try registry.get("BN-000009")) { XCTAssertEqual(($0 as? CustodyError)?.kind, .notFound(.bundle)) }
    }
}
