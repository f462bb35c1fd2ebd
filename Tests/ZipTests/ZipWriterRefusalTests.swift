import CustodyCore
import Foundation
import TestSupport
import XCTest
import Zip

/// What the writer refuses, and what an error leaves behind.
final class ZipWriterRefusalTests: XCTestCase {
    func testBadNamesAreRefusedAndTheWriterGoesOn() throws {
        let out = MemoryOutput()
        let zip = ZipWriter(output: out)
        let bad = ["", "/etc/passwd", "a/../b", "a//b", "./a", "a/.", "dir/", "a\\b", "a\u{0}b",
                   String(repeating: "x", count: 65_536)]
        for name in bad {
            assertCustodyError(try zip.add(name: name, size: 0, modified: bundleDate) { _ in }, field: "name",
                               contains: "entry name")
        }
        assertCustodyError(try zip.addFolder(name: "folder", modified: bundleDate), field: "name",
                           contains: "must end with /")
        XCTAssertEqual(zip.offset, 0, "nothing of a refused entry is written")
        try zip.add(name: "a", size: 1, modified: bundleDate) { try $0.write([1]) }
        let afterA = zip.offset
        assertCustodyError(try zip.add(name: "a", size: 0, modified: bundleDate) { _ in }, field: "name",
                           contains: "already holds an entry named \"a\"")
        // Before 1980-01-01, from 2108-01-01 on, and no moment at all.
        for seconds in [0, 315_532_799, 4_354_819_200, .infinity, .nan] as [Double] {
            let moment = Date(timeIntervalSince1970: seconds)
            assertCustodyError(try zip.add(name: "b", size: 0, modified: moment) { _ in },
                               field: "modified", contains: "1980-2107")
        }
        assertCustodyError(try zip.add(name: "b", size: 0, modified: bundleDate, permissions: 0o10000) { _ in },
                           field: "permissions", contains: "0o7777")
        XCTAssertEqual(zip.offset, afterA, "nothing of a refused entry is written")
        try zip.add(name: "b", size: 0, modified: Date(timeIntervalSince1970: 315_532_800)) { _ in }
        try zip.add(name: "c", size: 0, modified: Date(timeIntervalSince1970: 4_354_819_199)) { _ in }
        try zip.finish()
        let end = out.bytes.count - 22
        XCTAssertEqual(le(out.bytes, end + 10, as: UInt16.self), 3, "three entries: a, b and c")
        // b's and c's time and date: 1980-01-01 00:00:00 and 2107-12-31 23:59:58. An output that cannot
        // overwrite gives each entry a 16-byte data descriptor.
        let b = 30 + 1 + 1 + 16, c = b + 30 + 1 + 16
        XCTAssertEqual([le(out.bytes, b + 10, as: UInt16.self), le(out.bytes, b + 12, as: UInt16.self)],
                       [0, 0 << 9 | 1 << 5 | 1])
        XCTAssertEqual([le(out.bytes, c + 10, as: UInt16.self), le(out.bytes, c + 12, as: UInt16.self)],
                       [23 << 11 | 59 << 5 | 29, 127 << 9 | 12 << 5 | 31])
    }

    func testMoreBytesThanDeclaredAreRefusedBeforeTheyAreWritten() throws {
        let zip = ZipWriter(output: MemoryOutput())
        var before: UInt64 = 0
        assertCustodyError(try zip.add(name: "a", size: 3, modified: bundleDate) { entry in
            try entry.write([1, 2])
            before = zip.offset
            try entry.write([3, 4])
        }, field: "size", contains: "declared as 3 bytes but got more")
        XCTAssertEqual(zip.offset, before)
        assertCustodyError(try zip.finish(), contains: "stopped at an earlier error")
    }

    func testFewerBytesThanDeclaredFailTheArchive() throws {
        let zip = ZipWriter(output: MemoryOutput())
        assertCustodyError(try zip.add(name: "a", size: 3, modified: bundleDate) { try $0.write([1]) },
                           field: "size", contains: "declared as 3 bytes but got 1")
        assertCustodyError(try zip.add(name: "b", size: nil, modified: bundleDate) { _ in },
                           contains: "stopped at an earlier error")
    }

    func testCallersErrorPassesThroughAndFailsTheArchive() throws {
        struct Stop: Error {}
        let zip = ZipWriter(output: MemoryOutput())
        XCTAssertThrowsError(try zip.add(name: "a", size: nil, modified: bundleDate) { _ in throw Stop() }) {
            XCTAssertTrue($0 is Stop)
        }
        assertCustodyError(try zip.finish(), contains: "stopped at an earlier error")
    }

    func testAnEntryWriterKeptPastAddIsRefused() throws {
        let zip = ZipWriter(output: MemoryOutput())
        var kept: ZipEntryWriter?
        try zip.add(name: "a", size: nil, modified: bundleDate) { kept = $0 }
        assertCustodyError(try kept!.write([1]), contains: "is finished")
        try zip.add(name: "b", size: nil, modified: bundleDate) { _ in
            assertCustodyError(try zip.add(name: "c", size: nil, modified: bundleDate) { _ in },
                               contains: "while another was being written")
        }
        try zip.finish()
        assertCustodyError(try zip.add(name: "d", size: nil, modified: bundleDate) { _ in }, contains: "is finished")
    }

    func testAddFileRefusesWhatIsNoFile() throws {
        let dir = TemporaryDirectory("zip")
        defer { dir.remove() }
        let zip = ZipWriter(output: MemoryOutput())
        XCTAssertThrowsError(try zip.addFile(name: "x", path: dir.file("nothing"), modified: bundleDate)) {
            XCTAssertEqual(($0 as? CustodyError)?.kind, .notFound(.file))
        }
        assertCustodyError(try zip.addFile(name: "x", path: dir.path, modified: bundleDate), field: "path",
                           contains: "no regular file")
    }

    /// The output's failure is the writer's: disk full is told as such.
    func testOutputFailureIsReported() throws {
        let fd = open("/dev/full", O_WRONLY)
        try XCTSkipIf(fd < 0, "no /dev/full")
        defer { close(fd) }
        let zip = ZipWriter(fd: fd, path: "/dev/full")
        XCTAssertThrowsError(try zip.add(name: "a", size: nil, modified: bundleDate) { entry in
            try entry.write([UInt8](repeating: 0, count: 1 << 20))
        }) { XCTAssertEqual(($0 as? CustodyError)?.kind, .diskFull) }
        assertCustodyError(try zip.finish(), contains: "stopped at an earlier error")
    }
}
