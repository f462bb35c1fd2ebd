import CustodyCore
import Foundation
import TestSupport
import XCTest
@testable import Crypto

/// SHA256Pair's own compression (x86 SHA extensions, two lanes) must agree with FIPS 180-4's
/// examples and with OpenSSL on every length and split; the OpenSSL fallback likewise.
final class SHA256PairTests: XCTestCase {
    var modes: [Bool] { SHA256Pair.isAccelerated ? [true, false] : [false] }

    func testTheFastPathIsOnWhereTheCPUHasTheSHAExtensions() throws {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        guard cpuinfo.contains(" sha_ni") else { throw XCTSkip("this CPU has no SHA extensions") }
        XCTAssertTrue(SHA256Pair.isAccelerated)
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
        for accelerated in modes {
            for (message, expected) in cases {
                let pair = SHA256Pair(accelerated: accelerated)
                message.withUnsafeBytes { pair.update($0) }
                XCTAssertEqual(pair.finishPart().hex, expected, "part, accelerated: \(accelerated)")
                XCTAssertEqual(pair.finishWhole().hex, expected, "whole, accelerated: \(accelerated)")
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
        for accelerated in modes {
            for length in lengths {
                let partSize = [64, 128, 4096, 65_536][length % 4]
                let pair = SHA256Pair(accelerated: accelerated)
                var fed = 0, partStart = 0
                var parts: [SHA256Digest] = []
                while fed < length {
                    let step = min(length - fed, 1 + Int(rng.next() % 9000), partStart + partSize - fed)
                    data.withUnsafeBytes { pair.update(UnsafeRawBufferPointer(rebasing: $0[fed..<(fed + step)])) }
                    fed += step
                    if fed - partStart == partSize {
                        parts.append(pair.finishPart())
                        partStart = fed
                    }
                }
                if fed > partStart { parts.append(pair.finishPart()) }
                let expectedParts = stride(from: 0, to: length, by: partSize).map {
                    SHA256.hash(Array(data[$0..<min(length, $0 + partSize)]))
                }
                XCTAssertEqual(parts, expectedParts, "length \(length), accelerated: \(accelerated)")
                XCTAssertEqual(pair.finishWhole(), SHA256.hash(Array(data[0..<length])),
                               "length \(length), accelerated: \(accelerated)")
            }
        }
    }
}
