import CustodyCore
import SQLite
import TestSupport
import XCTest
@testable import Catalog

/// The case tables on their own: references checked, unique whatever the letter case, an exhibit
/// added twice is a no-op, and an exhibit must be in the catalog.
final class CaseRegistryTests: XCTestCase {
    let officer = Actor.officer("PC-1")
    var dir: TemporaryDirectory!
    var db: Database!
    var cases: CaseRegistry!

    override func setUpWithError() throws {
        dir = TemporaryDirectory("cases")
        db = try Database(path: dir.file("c.sqlite"))
        cases = try CaseRegistry(db: db)
        for n in 1...2 {
            let sha = SHA256Digest(hex: String(repeating: "\(n)", count: 64))!
            _ = try Catalog(db: db).insert(
                Exhibit(id: "", sha256: sha, size: 1, chunkSize: 1, filename: nil, device: "BW-1", officer: "PC-1",
                        capturedAt: nil, ingestedAt: Timestamp.rfc3339(), status: .ok, unreadableReason: nil,
                        media: nil, parentSHA256: nil, specSHA256: nil, spec: nil),
                chunks: [], num: Int64(n))
        }
    }

    override func tearDown() {
        cases = nil
        db = nil
        dir?.remove()
    }

    func testReferences() {
        for good in ["CPS/2026/1187", "a", "op.Kestrel_2-b", String(repeating: "x", count: 64)] {
            XCTAssertTrue(CaseRegistry.isValidRef(good), good)
        }
        for bad in ["", "/etc", "-rf", ".hidden", "a b", "a\nb", "a\u{202e}b", "ré", "a\\b",
                    String(repeating: "x", count: 65)] {
            XCTAssertFalse(CaseRegistry.isValidRef(bad), bad)
            XCTAssertThrowsError(try cases.create(bad, title: nil, by: officer)) {
                XCTAssertEqual(($0 as? CustodyError)?.kind, .invalidInput(field: "case"))
            }
        }
        XCTAssertEqual(try cases.all(), [])
    }

    func testCreateFindAndList() throws {
        let created = try cases.create("CPS/1", title: "Kestrel", by: officer)
        XCTAssertEqual(created.ref, "CPS/1")
        XCTAssertEqual(created.title, "Kestrel")
        XCTAssertEqual(created.createdBy, "PC-1")
        _ = try cases.create("CPS/2", title: nil, by: officer)
        XCTAssertEqual(try cases.find("cps/1"), created, "found whatever the letter case")
        XCTAssertNil(try cases.find("CPS/3"))
        XCTAssertThrowsError(try cases.get("CPS/3")) { XCTAssertEqual(($0 as? CustodyError)?.kind, .notFound(.case)) }
        XCTAssertThrowsError(try cases.create("cps/1", title: nil, by: officer)) {
            XCTAssertEqual(($0 as? CustodyError)?.kind, .conflict(.case))
        }
        for title in ["", "  ", "two\nlines", String(repeating: "t", count: 201)] {
            XCTAssertThrowsError(try cases.create("CPS/9", title: title, by: officer), title) {
                XCTAssertEqual(($0 as? CustodyError)?.kind, .invalidInput(field: "title"))
            }
        }
        XCTAssertEqual(try cases.all().map(\.ref), ["CPS/1", "CPS/2"])
    }

    func testExhibitsAddedOnceInOrder() throws {
        let c = try cases.create("CPS/1", title: nil, by: officer)
        XCTAssertTrue(try cases.add("EX-000002", to: c, by: officer))
        XCTAssertTrue(try cases.add("EX-000001", to: c, by: .officer("PC-2")))
        XCTAssertFalse(try cases.add("EX-000002", to: c, by: .officer("PC-3")), "adding twice is a no-op")
        let members = try cases.members(of: c)
        XCTAssertEqual(members.map(\.exhibit), ["EX-000002", "EX-000001"])
        XCTAssertEqual(members.map(\.addedBy), ["PC-1", "PC-2"], "the first addition stands")
        XCTAssertEqual(try cases.get("CPS/1").exhibits, 2)
        XCTAssertThrowsError(try cases.add("EX-000009", to: c, by: officer), "only a catalogued exhibit")
        XCTAssertEqual(try cases.members(of: c).count, 2)
    }
}
