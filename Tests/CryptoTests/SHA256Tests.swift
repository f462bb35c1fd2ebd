import CustodyCore
import XCTest
@testable import Crypto

final class SHA256Tests: XCTestCase {
    // FIPS 180-2 / NIST CAVP known answers.
    func testKnownAnswers() {
        XCTAssertEqual(SHA256.hash(Array("".utf8)).hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hash(Array("abc".utf8)).hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)).hex,
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    func testStreamingEqualsOneShotAcrossOddSplits() {
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        let h = SHA256()
        var i = 0
        var step = 1
        while i < million.count {
            let end = min(million.count, i + step)
            h.update(Array(million[i..<end]))
            i = end
            step = step * 3 + 1
        }
        XCTAssertEqual(h.finalize().hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        XCTAssertEqual(SHA256.hash(million).hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testDigestHexRoundTripAndRejects() {
        let d = SHA256.hash(Array("abc".utf8))
        XCTAssertEqual(SHA256Digest(hex: d.hex), d)
        XCTAssertEqual(SHA256Digest(hex: d.hex.uppercased()), d)
        XCTAssertNil(SHA256Digest(hex: String(d.hex.dropLast())))
        XCTAssertNil(SHA256Digest(hex: String(d.hex.dropLast()) + "g"))
    }

    // RFC 4231 test case 2.
    func testHMACSHA256() {
        let mac = HMACSHA256.authenticate(Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8))
        XCTAssertEqual(Hex.encode(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        XCTAssertTrue(HMACSHA256.isValid(mac, for: Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8)))
        var forged = mac
        forged[31] ^= 1
        XCTAssertFalse(HMACSHA256.isValid(forged, for: Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8)))
        XCTAssertFalse(ConstantTime.equals([1, 2], [1, 2, 3]))
    }

    func testBase64URL() {
        let bytes: [UInt8] = [0xfb, 0xff, 0xfe, 0x00, 0x10]
        let text = Base64.urlEncode(bytes)
        XCTAssertFalse(text.contains("+") || text.contains("/") || text.contains("="))
        XCTAssertEqual(Base64.urlDecode(text), bytes)
        XCTAssertNil(Base64.urlDecode("ab+c"))
    }
}

final class SHA1Tests: XCTestCase {
    func testKnownAnswers() {
        // FIPS 180 examples.
        for (input, hex) in [("abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
                             ("", "da39a3ee5e6b4b0d3255bfef95601890afd80709")] {
            let h = SHA1()
            Array(input.utf8).withUnsafeBytes { h.update($0) }
            XCTAssertEqual(Hex.encode(h.finalize()), hex)
        }
    }
}
