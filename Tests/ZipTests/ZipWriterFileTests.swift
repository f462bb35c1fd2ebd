import Foundation
import TestSupport
import XCTest
import Zip
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Files from disk: sizes up front, CRC written back; with CUSTODY_SLOW_TESTS=1 one past 4 GiB.
final class ZipWriterFileTests: XCTestCase {
    private var dir: TemporaryDirectory!
    override func setUp() { dir = TemporaryDirectory("zip") }
    override func tearDown() { dir.remove() }

    func testFileEntriesReadBack() throws {
        let bytes = pseudoRandomBytes(2_500_000, seed: 3)
        try Data(bytes).write(to: URL(fileURLWithPath: dir.file("clip.mp4")))
        let path = dir.file("files.zip")
        try writeZip(path) { zip in
            try zip.addFile(name: "B/data/clip.mp4", path: dir.file("clip.mp4"), modified: bundleDate)
            try zip.add(name: "B/after.txt", size: 2, modified: bundleDate) { try $0.write([0x6F, 0x6B]) }
        }
        let view = try ThirdPartyReaders.check(path)
        XCTAssertEqual(view.entries.map(\.name), ["B/data/clip.mp4", "B/after.txt"])
        XCTAssertEqual(view.entries.map(\.flags), [0x800, 0x800])
        XCTAssertEqual(view.entries[1].bytes, [0x6F, 0x6B])
        let zipped = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(le(zipped, 14, as: UInt32.self), CRC32.checksum(bytes), "the CRC written back")
        XCTAssertEqual(Array(zipped[(30 + 15)..<(30 + 15 + bytes.count)]), bytes, "stored as is")
    }

    /// A 4.5 GiB entry from a sparse file, then one past the 4 GiB mark: ZIP64 sizes and offsets where
    /// they are needed, and only there. Reads 13.5 GiB in all: opt-in with CUSTODY_SLOW_TESTS=1.
    func testEntryPast4GiB() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["CUSTODY_SLOW_TESTS"] == "1",
                          "set CUSTODY_SLOW_TESTS=1 to write and read a 4.5 GiB archive")
        let source = dir.file("big.bin")
        let size: Int64 = 4_608 << 20  // 4.5 GiB
        let fd = open(source, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        XCTAssertEqual(ftruncate(fd, off_t(size - 4)), 0)
        XCTAssertEqual(pwrite(fd, "tail", 4, off_t(size - 4)), 4)
        close(fd)
        let path = dir.file("big.zip")
        let started = Date()
        try writeZip(path) { zip in
            try zip.addFile(name: "big/data/big.bin", path: source, modified: bundleDate)
            try zip.add(name: "big/after.txt", size: 2, modified: bundleDate) { try $0.write([0x6F, 0x6B]) }
        }
        print("ZipWriterFileTests: wrote a 4.5 GiB archive in \(Date().timeIntervalSince(started)) s")
        let view = try ThirdPartyReaders.check(path)
        XCTAssertEqual(view.entries.map(\.name), ["big/data/big.bin", "big/after.txt"])
        XCTAssertEqual(view.entries[1].bytes, [0x6F, 0x6B])
        // Tag 1: both sizes (16 bytes) for the big entry, the offset (8 bytes) for the one after it.
        XCTAssertEqual(view.entries.map { String($0.extra.prefix(8)) }, ["01001000", "01000800"])
        print("ZipWriterFileTests: wrote and read it back in \(Date().timeIntervalSince(started)) s")
    }
}
