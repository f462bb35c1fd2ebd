import CustodyCore
import Foundation
import TestSupport
import XCTest
@testable import Crypto

final class Ed25519Tests: XCTestCase {
    // RFC 8032 section 7.1, tests 1-3: (secret seed, public key, message, signature).
    static let vectors: [(String, String, String, String)] = [
        ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
         "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
         "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
        ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
         "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
         "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
        ("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
         "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
         "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
    ]

    func testRFC8032Vectors() throws {
        for (seed, pub, msg, sig) in Self.vectors {
            let key = try Ed25519Key(privateSeed: Hex.decode(seed)!)
            XCTAssertEqual(Hex.encode(try key.publicBytes()), pub)
            let signature = try key.sign(Hex.decode(msg)!)
            XCTAssertEqual(Hex.encode(signature), sig)
            let verifier = try Ed25519Key(publicBytes: Hex.decode(pub)!)
            XCTAssertTrue(verifier.verify(signature, for: Hex.decode(msg)!))
            XCTAssertFalse(verifier.verify(signature, for: Hex.decode(msg)! + [0]))
            var bad = signature
            bad[10] ^= 0x40
            XCTAssertFalse(verifier.verify(bad, for: Hex.decode(msg)!))
        }
    }

    func testPEMRoundTripAndOpenSSLVerifiesOurSignature() throws {
        let key = try Ed25519Key.generate()
        let again = try Ed25519Key(pem: try key.privateKeyPEM())
        XCTAssertEqual(try again.publicBytes(), try key.publicBytes())
        let pub = try Ed25519Key(pem: try key.publicKeyPEM())
        XCTAssertFalse(pub.isPrivate)

        guard let openssl = which("openssl") else { throw XCTSkip("openssl not installed") }
        let dir = TemporaryDirectory()
        let message = Array("custody checkpoint\n42\n".utf8)
        try Data(message).write(to: URL(fileURLWithPath: dir.file("msg")))
        try Data(try key.sign(message)).write(to: URL(fileURLWithPath: dir.file("sig")))
        try key.publicKeyPEM().write(toFile: dir.file("key.pem"), atomically: true, encoding: .utf8)
        let ok = try runProcess(openssl, ["pkeyutl", "-verify", "-pubin", "-inkey", dir.file("key.pem"), "-rawin",
                                          "-in", dir.file("msg"), "-sigfile", dir.file("sig")])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        try Data(message + [0x21]).write(to: URL(fileURLWithPath: dir.file("msg")))
        let bad = try runProcess(openssl, ["pkeyutl", "-verify", "-pubin", "-inkey", dir.file("key.pem"), "-rawin",
                                           "-in", dir.file("msg"), "-sigfile", dir.file("sig")])
        XCTAssertNotEqual(bad.status, 0)
    }

    func testRejectsNonEd25519PEM() throws {
        guard let openssl = which("openssl") else { throw XCTSkip("openssl not installed") }
        let dir = TemporaryDirectory()
        let r = try runProcess(openssl, ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                                         "-out", dir.file("ec.pem")])
        XCTAssertEqual(r.status, 0)
        XCTAssertThrowsError(try Ed25519Key(pem: try String(contentsOfFile: dir.file("ec.pem"), encoding: .utf8)))
        XCTAssertThrowsError(try Ed25519Key(pem: "-----BEGIN PUBLIC KEY-----\nnonsense\n-----END PUBLIC KEY-----\n"))
    }
}
