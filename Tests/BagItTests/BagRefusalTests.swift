import XCTest
import BagIt

/// Paths and bag-info fields the builder refuses before writing anything, each with a reason.
final class BagRefusalTests: XCTestCase {
    /// The error `body` throws (nil if none) after `setup` ran, checking `body` wrote nothing.
    private func refusal(given setup: (BagBuilder) throws -> Void = { _ in },
                         _ body: (BagBuilder) throws -> Void) -> String? {
        let sink = RecordingSink()
        let builder = try! BagBuilder(name: "b", sink: sink)
        try! setup(builder)
        let before = sink.files.count
        do {
            try body(builder)
            return nil
        } catch {
            XCTAssertEqual(sink.files.count, before, "nothing is written for a refused call: \(error)")
            return "\(error)"
        }
    }

    func testInvalidPathsAreRefused() {
        let cases: [(String, String)] = [
            ("", "empty"), ("/etc/passwd", "absolute"), ("data/../x", ".. component"), ("data/./x", ". component"),
            ("data//x", "empty component"), ("data/x/", "empty component"), ("data/a\\b", "backslash"),
            ("data/a\0b", "NUL"),
            // A combining mark joins the / before it into one Character; a file system still splits there.
            ("data/../\u{301}x", ".. component"), ("/\u{301}x", "absolute"),
        ]
        for (path, reason) in cases {
            let message = refusal { try $0.addPayload(path: path, bytes: []) }
            XCTAssertTrue(message?.contains(reason) == true, "\(path.debugDescription): \(message ?? "accepted")")
        }
        XCTAssertNotNil(refusal { try $0.addTag(path: "../outside", bytes: []) })
        XCTAssertThrowsError(try BagBuilder(name: "a/b", sink: RecordingSink()))
        XCTAssertThrowsError(try BagBuilder(name: "..", sink: RecordingSink()))
    }

    func testPayloadAndTagFilesStayOnTheirSide() {
        XCTAssertTrue(refusal { try $0.addPayload(path: "custody/x", bytes: []) }?.contains("under data/") == true)
        XCTAssertTrue(refusal { try $0.addPayload(path: "data", bytes: []) }?.contains("under data/") == true)
        for path in ["data/x", "data", "bagit.txt", "bag-info.txt", "fetch.txt", "manifest-sha256.txt",
                     "tagmanifest-md5.txt"] {
            XCTAssertNotNil(refusal { try $0.addTag(path: path, bytes: []) }, path)
        }
        XCTAssertNil(refusal { try $0.addTag(path: "custody/manifest-sha256.txt", bytes: []) },
                     "only the top-level names are the builder's")
    }

    func testDuplicatesAndFileFolderClashesAreRefused() {
        let cases: [(String, String)] = [("data/x", "data/x"), ("data/x", "data/x/y"), ("data/x/y", "data/x"),
                                         ("data/x/y", "data/x/y"),
                                         // Canonically equal (NFC, NFD): one file where extraction normalizes.
                                         ("data/caf\u{E9}", "data/cafe\u{301}")]
        for (first, second) in cases {
            let message = refusal(given: { try $0.addPayload(path: first, bytes: []) }) {
                try $0.addPayload(path: second, bytes: [])
            }
            XCTAssertTrue(message?.contains("already in the bag") == true, "\(first), \(second): \(message ?? "")")
        }
        XCTAssertNotNil(refusal(given: { try $0.addTag(path: "custody/a", bytes: []) }) {
            try $0.addTag(path: "custody", bytes: [])
        })
        XCTAssertNil(refusal(given: { try $0.addPayload(path: "data/x/y", bytes: []) }) {
            try $0.addPayload(path: "data/x/z", bytes: [])
        })
    }

    func testBagInfoFieldsThatWouldNotReadBackAreRefused() {
        let cases: [(BagInfoField, String)] = [
            (BagInfoField("", "v"), "label is empty"),
            (BagInfoField("A:B", "v"), "colon"),
            (BagInfoField(" Label", "v"), "label starts or ends"),
            (BagInfoField("Label\n", "v"), "label starts or ends"),
            (BagInfoField("La\tbel", "v"), "control character"),
            (BagInfoField("payload-oxum", "1.1"), "computes"),
            (BagInfoField("Bag-Size", "1 GB"), "computes"),
            (BagInfoField("Label", ""), "value is empty"),
            (BagInfoField("Label", " v"), "value starts or ends"),
            (BagInfoField("Label", "v "), "value starts or ends"),
            (BagInfoField("Label", "one\ntwo"), "folding"),
            (BagInfoField("Label", "one\r\n two"), "control character"),
            (BagInfoField("Label", "one\n \n two"), "blank"),
            (BagInfoField("Label", "bell\u{7}"), "control character"),
        ]
        for (field, reason) in cases {
            let message = refusal { try $0.finish(bagInfo: [BagInfoField("Good", "one"), field]) }
            XCTAssertTrue(message?.contains(reason) == true, "\(field): \(message ?? "accepted")")
        }
        XCTAssertNil(refusal { try $0.finish(bagInfo: [BagInfoField("Note", "one\n  two\n\tthree")]) })
        XCTAssertNil(refusal { try $0.finish(bagInfo: [BagInfoField("Contact Name", "tab\tinside")]) })
    }
}
