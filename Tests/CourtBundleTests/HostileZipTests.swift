import BundleFixture
import CourtBundle
import Foundation
import XCTest
import Zip

/// Hand-made ZIPs that lie: each is refused as a `zip` failure with a clear message, never a crash
/// or a huge allocation.
final class HostileZipTests: BundleTestCase {
    struct Raw {
        var name: String
        var data: [UInt8] = Array("hello".utf8)
        var method: UInt16 = 0
        var nameBytes: [UInt8]? = nil
    }

    /// Local headers and data, then the central directory and end record; `patch` edits the whole.
    func zip(_ entries: [Raw], count: UInt16? = nil, directorySize: UInt32? = nil,
             offsets: [UInt32]? = nil) -> [UInt8] {
        var out: [UInt8] = [], central: [UInt8] = []
        for (i, e) in entries.enumerated() {
            let name = e.nameBytes ?? Array(e.name.utf8)
            let crc = CRC32.checksum(e.data)
            let offset = offsets?[i] ?? UInt32(out.count)
            out += le32(0x0403_4B50) + le16(20) + le16(0x0800) + le16(e.method) + le32(0) + le32(crc)
                + le32(UInt32(e.data.count)) + le32(UInt32(e.data.count)) + le16(UInt16(name.count)) + le16(0) + name
                + e.data
            central += le32(0x0201_4B50) + le16(0x0314) + le16(20) + le16(0x0800) + le16(e.method) + le32(0)
                + le32(crc) + le32(UInt32(e.data.count)) + le32(UInt32(e.data.count)) + le16(UInt16(name.count))
                + le16(0) + le16(0) + le16(0) + le16(0) + le32(0) + le32(offset) + name
        }
        let n = count ?? UInt16(entries.count)
        return out + central + le32(0x0605_4B50) + le16(0) + le16(0) + le16(n) + le16(n)
            + le32(directorySize ?? UInt32(central.count)) + le32(UInt32(out.count)) + le16(0)
    }

    func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }

    func refusal(_ bytes: [UInt8], limits: ZipReader.Limits = .init(), file: StaticString = #filePath,
                 line: UInt = #line) -> String {
        let path = dir.file("hostile.zip")
        try? Data(bytes).write(to: URL(fileURLWithPath: path))
        do {
            _ = try ZipReader(path: path, limits: limits)
            XCTFail("read", file: file, line: line)
            return ""
        } catch let failure as BundleFailure {
            XCTAssertEqual(failure.step, .zip, file: file, line: line)
            return failure.message
        } catch {
            XCTFail("\(error)", file: file, line: line)
            return ""
        }
    }

    func testAWellFormedHandMadeZipIsRead() throws {
        let path = dir.file("fine.zip")
        try Data(zip([Raw(name: "a/b.txt"), Raw(name: "a/c.txt")])).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try ZipReader(path: path).entries.map(\.name), ["a/b.txt", "a/c.txt"])
    }

    func testNamesThatEscapeOrRepeatAreRefused() {
        for bad in ["../evil", "a/../../evil", "/etc/passwd", "a\\b", "a//b", "a/./b"] {
            XCTAssertTrue(refusal(zip([Raw(name: bad)])).contains("entry name"), bad)
        }
        XCTAssertTrue(refusal(zip([Raw(name: "x", nameBytes: [0x61, 0x00, 0x62])])).contains("NUL"))
        XCTAssertTrue(refusal(zip([Raw(name: "x", nameBytes: [0x61, 0xFF])])).contains("not UTF-8"))
        XCTAssertTrue(refusal(zip([Raw(name: "a/b"), Raw(name: "a/b")])).contains("twice"))
        // é composed and decomposed: one name to a file system that normalizes.
        XCTAssertTrue(refusal(zip([Raw(name: "a/caf\u{E9}"), Raw(name: "a/cafe\u{301}")])).contains("twice"))
    }

    func testCompressedEntriesAreRefused() {
        XCTAssertTrue(refusal(zip([Raw(name: "a/b", method: 8)])).contains("compressed"))
    }

    func testCountsAndSizesThatLieAreRefused() {
        let one = [Raw(name: "a/b")]
        XCTAssertTrue(refusal(zip(one, count: 60_000)).contains("too short"))
        XCTAssertTrue(refusal(zip(one, count: 0)).contains("more than"))
        XCTAssertTrue(refusal(zip(one, count: 0xFFFF)).contains("ZIP64"))
        XCTAssertTrue(refusal(zip(one, directorySize: 0xFFFF_FFF0)).contains("central directory claims"))
        XCTAssertTrue(refusal(zip(one, directorySize: 10)).contains("does not end where"))
        XCTAssertTrue(refusal(zip([Raw(name: "a/b"), Raw(name: "a/c")]), limits: .init(maxEntries: 1))
            .contains("at most 1"))
        XCTAssertTrue(refusal(zip([Raw(name: String(repeating: "n", count: 300))]), limits: .init(maxNameBytes: 255))
            .contains("longer than 255"))
    }

    /// A ZIP64 end record whose size field is near 2^64: refused, no overflow.
    func testAZip64RecordOfAnyClaimedSizeIsRefused() {
        let plain = zip([Raw(name: "a/b")])
        let body = Array(plain.dropLast(22))
        let record = le32(0x0606_4B50) + le32(0xFFFF_FFF0) + le32(0xFFFF_FFFF) + [UInt8](repeating: 0, count: 44)
        let locator = le32(0x0706_4B50) + le32(0) + le32(UInt32(body.count)) + le32(0) + le32(1)
        let end = le32(0x0605_4B50) + le16(0) + le16(0) + le16(0xFFFF) + le16(0xFFFF) + le32(0xFFFF_FFFF)
            + le32(0xFFFF_FFFF) + le16(0)
        XCTAssertTrue(refusal(body + record + locator + end).contains("does not reach the locator"))
    }

    /// Entry b's header and data inside entry a's data: both match their headers, and overlap.
    func testOverlappingEntriesAreRefused() {
        let inner = Array(zip([Raw(name: "a/b")]).prefix(30 + 3 + 5))
        let outer = zip([Raw(name: "a/a", data: inner), Raw(name: "a/b")], offsets: [0, 30 + 3])
        XCTAssertTrue(refusal(outer).contains("overlaps"))
        // Two records for one local header: the second names another file than its header.
        let twice = zip([Raw(name: "a/b"), Raw(name: "a/c")], offsets: [0, 0])
        XCTAssertTrue(refusal(twice).contains("another name"))
    }

    func testEntriesOutsideTheBundleFolderFailTheZipStep() throws {
        let (_, path) = try makeBundle()
        let out = dir.file("extra.zip")
        try FixtureBundle.rezip(path, to: out, change: [:], add: [("evil.txt", [1, 2])])
        assertFails(try verify(out), .zip, entry: "evil.txt")
    }
}
