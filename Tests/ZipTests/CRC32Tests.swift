import TestSupport
import XCTest
import Zip

final class CRC32Tests: XCTestCase {
    func testPublishedCheckValues() {
        // The CRC catalogue's check value for CRC-32/ISO-HDLC, and values zlib.crc32 gives.
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(CRC32.checksum([]), 0)
        XCTAssertEqual(CRC32.checksum(Array("a".utf8)), 0xE8B7_BE43)
        XCTAssertEqual(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)), 0x414F_A339)
    }

    /// Fed in any pieces, the CRC is the one of the whole; slicing handles every tail length.
    func testPiecesGiveTheWholesCRC() {
        var rng = SplitMix64(state: 7)
        let bytes = (0..<1000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let whole = CRC32.checksum(bytes)
        for split in [0, 1, 3, 7, 8, 9, 15, 500, 999, 1000] {
            var crc = CRC32()
            bytes.withUnsafeBytes {
                crc.update(UnsafeRawBufferPointer(rebasing: $0[0..<split]))
                crc.update(UnsafeRawBufferPointer(rebasing: $0[split...]))
            }
            XCTAssertEqual(crc.value, whole, "split at \(split)")
        }
    }

    /// The carry-less fold (where the CPU has it) and the tables agree on every length, alignment and
    /// starting register, and through pieces.
    func testCarrylessFoldAgreesWithTheTables() throws {
        guard CRC32.useCarryless else { throw XCTSkip("this CPU has no PCLMULQDQ") }
        defer { CRC32.useCarryless = true }
        var rng = SplitMix64(state: 9)
        let bytes = rng.bytes(300_000)
        func crc(_ range: Range<Int>, carryless: Bool, prefix: Int = 0) -> UInt32 {
            CRC32.useCarryless = carryless
            var c = CRC32()
            bytes.withUnsafeBytes {
                c.update(UnsafeRawBufferPointer(rebasing: $0[range.lowerBound..<range.lowerBound + prefix]))
                c.update(UnsafeRawBufferPointer(rebasing: $0[range.lowerBound + prefix..<range.upperBound]))
            }
            return c.value
        }
        for _ in 0..<500 {
            let start = Int.random(in: 0..<64, using: &rng)
            let count = Int.random(in: 0..<(Bool.random(using: &rng) ? 300 : 299_000), using: &rng)
            let prefix = Int.random(in: 0...min(count, 100), using: &rng)
            let range = start..<start + count
            XCTAssertEqual(crc(range, carryless: true, prefix: prefix), crc(range, carryless: false),
                           "\(count) bytes at \(start), first \(prefix)")
        }
    }

    /// Random data of many lengths against Python's zlib.crc32.
    func testMatchesZlibOnRandomData() throws {
        let dir = TemporaryDirectory("crc32")
        defer { dir.remove() }
        var rng = SplitMix64(state: 42)
        var expected: [String] = []
        for (i, count) in [1, 2, 5, 8, 13, 64, 1023, 4096, 65_537, 1_000_003].enumerated() {
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            try Data(bytes).write(to: URL(fileURLWithPath: dir.file("r\(i)")))
            expected.append(String(CRC32.checksum(bytes)))
        }
        let script = "import sys, zlib\nfor p in sys.argv[1:]: print(zlib.crc32(open(p, 'rb').read()))"
        let r = try runProcess(TestPaths.python, ["-c", script] + (0..<expected.count).map { dir.file("r\($0)") })
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.split(separator: "\n").map(String.init), expected)
    }
}
