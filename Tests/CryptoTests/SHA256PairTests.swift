import CustodyCore
import Foundation
import TestSupport
import XCTest
@testable import Crypto
import CSHA256x2

/// SHA256Pair's own compression (x86 SHA extensions, two lanes; SSE and AVX variants) must agree
/// with FIPS 180-4's examples and with OpenSSL on every length and split; the OpenSSL fallback
/// likewise.
final class SHA256PairTests: XCTestCase {
    /// Every way this machine can hash: each kernel variant it can run, and OpenSSL.
    static var modes: [Mode] {
        guard SHA256Pair.isAccelerated else { return [.openSSL] }
        let avx = custody_sha256x2_choose_avx(1) == 1
        return (avx ? [.avx] : []) + [.sse, .openSSL]
    }

    enum Mode: String {
        case avx, sse, openSSL

        /// Selects the kernel variant and says whether SHA256Pair should be accelerated.
        func select() -> Bool {
            _ = custody_sha256x2_choose_avx(self == .sse ? 0 : 1)
            return self != .openSSL
        }
    }

    override func tearDown() {
        _ = custody_sha256x2_choose_avx(1)
    }

    func testTheFastPathIsOnWhereTheCPUHasTheSHAExtensions() throws {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        guard cpuinfo.contains(" sha_ni") else { throw XCTSkip("this CPU has no SHA extensions") }
        XCTAssertTrue(SHA256Pair.isAccelerated)
        if cpuinfo.contains(" avx ") { XCTAssertEqual(custody_sha256x2_choose_avx(1), 1) }
    }

    func testFIPS180Examples() {
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        let cases: [([UInt8], String)] = [
            ([], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            (Array("abc".utf8), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
            (Array("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu".utf8),
             "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
            (million, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
        ]
        for mode in Self.modes {
            let accelerated = mode.select()
            for (message, expected) in cases {
                let pair = SHA256Pair(accelerated: accelerated)
                message.withUnsafeBytes { pair.update($0) }
                XCTAssertEqual(pair.finishPart().hex, expected, "part, \(mode)")
                XCTAssertEqual(pair.finishWhole().hex, expected, "whole, \(mode)")
            }
        }
    }

    /// Every length around the padding edges (55, 56, 63, 64, 119, 120 ...), fed in ragged pieces,
    /// cut into parts of whole blocks with a short last part.
    func testAgreesWithOpenSSLOnEveryLengthSplitAndPart() {
        var rng = SplitMix64(state: 0x5EED)
        let data = (0..<(1 << 20) + 200).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        var lengths = Array(0...300)
        lengths += [4095, 4096, 4097, 65_536 + 55, 1 << 20, (1 << 20) + 200]
        for mode in Self.modes {
            let accelerated = mode.select()
            for length in lengths {
                let partSize = [64, 128, 4096, 65_536][length % 4]
                let pair = SHA256Pair(accelerated: accelerated)
                let parts = Self.feed(pair, data[0..<length], partSize: partSize, maxStep: 9000, rng: &rng)
                XCTAssertEqual(parts, Self.partDigests(data[0..<length], partSize: partSize),
                               "length \(length), \(mode)")
                XCTAssertEqual(pair.finishWhole(), SHA256.hash(Array(data[0..<length])),
                               "length \(length), \(mode)")
            }
        }
    }

    /// Feeds `data` to `pair` in ragged steps of 1 to `maxStep` bytes, ending a part every
    /// `partSize` bytes and after the last byte; returns the parts' digests.
    static func feed(_ pair: SHA256Pair, _ data: ArraySlice<UInt8>, partSize: Int, maxStep: Int,
                     rng: inout SplitMix64) -> [SHA256Digest] {
        var fed = 0, partStart = 0
        var parts: [SHA256Digest] = []
        data.withUnsafeBytes { bytes in
            while fed < bytes.count {
                let step = min(bytes.count - fed, 1 + Int(rng.next() % UInt64(maxStep)), partStart + partSize - fed)
                pair.update(UnsafeRawBufferPointer(rebasing: bytes[fed..<(fed + step)]))
                fed += step
                if fed - partStart == partSize {
                    parts.append(pair.finishPart())
                    partStart = fed
                }
            }
        }
        if fed > partStart { parts.append(pair.finishPart()) }
        return parts
    }

    /// OpenSSL's SHA-256 of each `partSize` bytes of `data`, the last part possibly shorter.
    static func partDigests(_ data: ArraySlice<UInt8>, partSize: Int) -> [SHA256Digest] {
        stride(from: data.startIndex, to: data.endIndex, by: partSize).map {
            SHA256.hash(Array(data[$0..<min(data.endIndex, $0 + partSize)]))
        }
    }
}

/// The compressor: callers pair up and hash two streams four lanes wide.
final class SHA256PairCompressorTests: XCTestCase {
    override func setUpWithError() throws {
        guard SHA256Pair.isAccelerated else { throw XCTSkip("this CPU has no SHA extensions") }
    }

    override func tearDown() {
        _ = custody_sha256x2_choose_avx(1)
    }

    /// The four-lane kernel equals two two-lane runs, for two different streams, in each variant.
    func testFourLanesEqualTwoRunsOfTwo() {
        var rng = SplitMix64(state: 0xF0F0)
        let blocks = 300
        let p = (0..<(64 * blocks)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let q = (0..<(64 * blocks)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let start: [UInt32] = (0..<8).map { _ in UInt32(truncatingIfNeeded: rng.next()) }
        let initial = [start, start.reversed(), start.map { $0 ^ 1 }, start.map { $0 &+ 7 }]
        for mode in SHA256PairTests.modes where mode != .openSSL {
            _ = mode.select()
            var (a, b, c, d) = (initial[0], initial[1], initial[2], initial[3])
            var (e, f, g, h) = (a, b, c, d)
            p.withUnsafeBufferPointer { p in
                q.withUnsafeBufferPointer { q in
                    custody_sha256x2x2_blocks(&a, &b, p.baseAddress!, &c, &d, q.baseAddress!, blocks)
                    custody_sha256x2_blocks(&e, &f, p.baseAddress!, blocks)
                    custody_sha256x2_blocks(&g, &h, q.baseAddress!, blocks)
                }
            }
            XCTAssertEqual([a, b, c, d], [e, f, g, h], "\(mode)")
            XCTAssertNotEqual([a, b, c, d], initial, "\(mode)")
        }
    }

    /// Eight threads hash different data of different lengths (runs under 1 MiB their callers
    /// compress at once, longer ones pair up) in ragged updates and 4 MiB parts; every digest
    /// equals OpenSSL's. With two cores or more, some segments really were compressed in pairs.
    func testConcurrentStreamsAgreeWithOpenSSL() {
        let compressor = SHA256PairCompressor()
        let lengths = [0, 100, (1 << 20) - 64, 1 << 20, (1 << 20) + 1, 5 << 20, 9 << 20, (12 << 20) + 77]
        var rng = SplitMix64(state: 0xC0FFEE)
        let inputs = lengths.map { rng.bytes($0) }
        let partSize = 4 << 20
        let results = Digests()
        for round in 0..<3 {
            let group = DispatchGroup()
            for (index, data) in inputs.enumerated() {
                group.enter()
                Thread {
                    var local = SplitMix64(state: UInt64(index * 10 + round))
                    let pair = SHA256Pair(compressor: compressor)
                    let parts = SHA256PairTests.feed(pair, data[...], partSize: partSize, maxStep: 3 << 20, rng: &local)
                    results.set(index, (pair.finishWhole(), parts))
                    group.leave()
                }.start()
            }
            group.wait()
            for (index, data) in inputs.enumerated() {
                let got = results.get(index)
                XCTAssertEqual(got?.whole, SHA256.hash(data), "input \(index)")
                XCTAssertEqual(got?.parts, SHA256PairTests.partDigests(data[...], partSize: partSize), "input \(index)")
            }
            if compressor.segments.paired > 0 { break }
        }
        XCTAssertGreaterThan(compressor.segments.alone, 0)
        if ProcessInfo.processInfo.activeProcessorCount >= 2 {
            XCTAssertGreaterThan(compressor.segments.paired, 0, "no two streams were ever compressed together")
        }
    }
}

private final class Digests: @unchecked Sendable {
    private let lock = NSLock()
    private var byIndex: [Int: (whole: SHA256Digest, parts: [SHA256Digest])] = [:]

    func set(_ index: Int, _ value: (whole: SHA256Digest, parts: [SHA256Digest])) {
        lock.withLock { byIndex[index] = value }
    }

    func get(_ index: Int) -> (whole: SHA256Digest, parts: [SHA256Digest])? {
        lock.withLock { byIndex[index] }
    }
}
