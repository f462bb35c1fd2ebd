import Foundation
import TestSupport
import XCTest
import Zip
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Archives the writer makes, read back by unzip, Python's zipfile and 7-Zip, unmodified.
final class ZipWriterReadersTests: XCTestCase {
    private var dir: TemporaryDirectory!
    override func setUp() { dir = TemporaryDirectory("zip") }
    override func tearDown() { dir.remove() }

    func testEmptyArchiveIsTheClassicEndRecordAlone() throws {
        let path = dir.file("empty.zip")
        XCTAssertEqual(try writeZip(path) { _ in }, 22)
        // Byte for byte what Python's zipfile writes for an empty archive.
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)),
                       Data([0x50, 0x4B, 0x05, 0x06] + [UInt8](repeating: 0, count: 18)))
        // unzip warns (exit 1) about an empty archive, whoever wrote it.
        let unzip = try runProcess(try XCTUnwrap(which("unzip")), ["-t", path])
        XCTAssertEqual(unzip.status, 1)
        XCTAssertTrue((unzip.stdout + unzip.stderr).contains("zipfile is empty"))
        try ThirdPartyReaders.check7z(path)
        XCTAssertEqual(try ThirdPartyReaders.python(path).entries.count, 0)
    }

    func testSmallEntriesWithUTF8NamesReadBack() throws {
        let path = dir.file("small.zip")
        let files: [(String, [UInt8])] = [
            ("B-1/data/README.txt", Array("Read me first.\n".utf8)),
            ("B-1/data/EX-000001_Zeugenaussage_Müller.mp4", pseudoRandomBytes(70_001, seed: 1)),
            ("B-1/data/日本語の名前.txt", Array("名前\n".utf8)),
            ("B-1/custody/empty", []),
        ]
        try writeZip(path) { zip in
            try zip.addFolder(name: "B-1/", modified: bundleDate)
            for (name, bytes) in files {
                try zip.add(name: name, size: UInt64(bytes.count), modified: bundleDate) { try $0.write(bytes) }
            }
        }
        let view = try ThirdPartyReaders.check(path)
        XCTAssertEqual(view.entries.map(\.name), ["B-1/"] + files.map(\.0))
        for (entry, (_, bytes)) in zip(view.entries.dropFirst(), files) where bytes.count < 65536 {
            XCTAssertEqual(entry.bytes, bytes, entry.name)
        }
        for entry in view.entries {
            XCTAssertEqual(entry.flags, 0x800, "UTF-8, sizes up front, no data descriptor: \(entry.name)")
            XCTAssertEqual(entry.system, 3, "made on Unix")
            XCTAssertEqual(entry.date, bundleDateFields)
            XCTAssertEqual(entry.extra, "", "no ZIP64 field needed")
        }
        XCTAssertEqual(view.entries[0].attributes, (0o040755 << 16) | 0x10)
        XCTAssertEqual(view.entries[1].attributes, 0o100644 << 16)
        // The big entry's local header holds its size and the CRC written in after the data.
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let second = 30 + 4  // after the folder's local header ("B-1/")
        XCTAssertEqual(le(bytes, second, as: UInt32.self), 0x0403_4B50)
        XCTAssertEqual(le(bytes, second + 14, as: UInt32.self), CRC32.checksum(files[0].1))
        XCTAssertEqual(le(bytes, second + 22, as: UInt32.self), UInt32(files[0].1.count))
    }

    /// Streamed entries (no size) and an output that cannot overwrite get data descriptors.
    func testDataDescriptorEntriesReadBack() throws {
        let path = dir.file("streamed.zip")
        let big = pseudoRandomBytes(3 << 20, seed: 2)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { close(fd) }
        let zip = ZipWriter(output: AppendOnlyOutput(FileDescriptorOutput(fd: fd, path: path)))
        try zip.add(name: "streamed.bin", size: nil, modified: bundleDate) { entry in
            for start in stride(from: 0, to: big.count, by: 100_000) {
                try entry.write(Array(big[start..<min(start + 100_000, big.count)]))
            }
        }
        try zip.add(name: "known.txt", size: 5, modified: bundleDate) { try $0.write(Array("hello".utf8)) }
        try zip.add(name: "streamed-empty", size: nil, modified: bundleDate) { _ in }
        try zip.finish()
        let view = try ThirdPartyReaders.check(path)
        XCTAssertEqual(view.entries.map(\.name), ["streamed.bin", "known.txt", "streamed-empty"])
        XCTAssertEqual(view.entries.map(\.flags), [0x808, 0x808, 0x808])
        XCTAssertEqual(view.entries[1].bytes, Array("hello".utf8))
        let python = try runProcess(TestPaths.python, ["-c", """
            import sys, zipfile, zlib; print(zlib.crc32(zipfile.ZipFile(sys.argv[1]).read("streamed.bin")))
            """, path])
        XCTAssertEqual(python.stdout.trimmingCharacters(in: .whitespacesAndNewlines), String(CRC32.checksum(big)))
    }

    func testForcedZIP64ReadsBack() throws {
        let path = dir.file("zip64.zip")
        let length = try writeZip(path, options: .init(forceZip64: true)) { zip in
            try zip.addFolder(name: "B-2/", modified: bundleDate)
            try zip.add(name: "B-2/known.txt", size: 3, modified: bundleDate) { try $0.write([1, 2, 3]) }
            try zip.add(name: "B-2/streamed.txt", size: nil, modified: bundleDate) { try $0.write([4, 5]) }
        }
        let view = try ThirdPartyReaders.check(path)
        XCTAssertEqual(view.entries.map(\.bytes), [[], [1, 2, 3], [4, 5]])
        // Each central header's ZIP64 field: tag 1, 24 bytes (both sizes, the offset).
        for entry in view.entries { XCTAssertTrue(entry.extra.hasPrefix("01001800"), entry.extra) }
        // The ZIP64 end record and its locator, then the classic record saying "see ZIP64".
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(UInt64(bytes.count), length)
        let end = bytes.count - 22, locator = end - 20, record = locator - 56
        XCTAssertEqual(le(bytes, record, as: UInt32.self), 0x0606_4B50)
        XCTAssertEqual(le(bytes, record + 32, as: UInt64.self), 3)
        XCTAssertEqual(le(bytes, locator, as: UInt32.self), 0x0706_4B50)
        XCTAssertEqual(le(bytes, locator + 8, as: UInt64.self), UInt64(record))
        XCTAssertEqual(le(bytes, end + 10, as: UInt16.self), 0xFFFF)
        XCTAssertEqual(le(bytes, end + 16, as: UInt32.self), 0xFFFF_FFFF)
    }

    /// 65,537 entries: more than the classic end record can count, so the ZIP64 end records say it.
    func testMoreThan65535EntriesReadBack() throws {
        let path = dir.file("many.zip")
        let count = 65_537
        try writeZip(path) { zip in
            for i in 0..<count {
                let bytes = Array(String(i).utf8)
                try zip.add(name: "m/\(i)", size: UInt64(bytes.count), modified: bundleDate) { try $0.write(bytes) }
            }
        }
        let view = try ThirdPartyReaders.check(path, showing: 3)
        XCTAssertEqual(view.count, count)
        XCTAssertEqual(view.entries.map(\.name), ["m/0", "m/1", "m/2", "m/65534", "m/65535", "m/65536"])
        XCTAssertEqual(view.entries.map(\.bytes), ["0", "1", "2", "65534", "65535", "65536"].map { Array($0.utf8) })
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(le(bytes, bytes.count - 22 - 20 - 56, as: UInt32.self), 0x0606_4B50)
        XCTAssertEqual(le(bytes, bytes.count - 22 - 20 - 56 + 32, as: UInt64.self), UInt64(count))
    }
}
