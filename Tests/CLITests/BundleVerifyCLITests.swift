import BundleFixture
import CourtBundle
import Crypto
import Foundation
import Ledger
import TestSupport
import XCTest

/// `custody bundle verify` as a recipient runs it: no data directory, exit codes, text and JSON.
final class BundleVerifyCLITests: CLITestCase {
    func fixtureBundle(_ ledger: (database: String, key: Ed25519Key, origin: String)? = nil) throws
        -> (FixtureBundle, String)
    {
        let work = dir.file("work")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try makeLargeFile(work + "/clip.mp4", mebibytes: 3)
        let fixture = try FixtureBundle(work: work, ledger: ledger)
        let path = dir.file("BN-000001.zip")
        try fixture.write(clipFile: work + "/clip.mp4", to: path)
        return (fixture, path)
    }

    func verify(_ args: [String]) throws -> ProcessResult {
        try runProcess(TestPaths.custodyBinary, ["bundle", "verify"] + args)
    }

    func testVerifyPrintsWhatItCheckedAndWhereTheKeyCameFrom() throws {
        let (fixture, path) = try fixtureBundle()
        let own = try verify([path])
        XCTAssertEqual(own.status, 0, own.stderr)
        XCTAssertTrue(own.stdout.hasPrefix("OK: bundle BN-000001 (case CPS/2026/1187)"), own.stdout)
        XCTAssertTrue(own.stdout.contains("NOTE: the key was taken from the bundle itself"), own.stdout)
        let fingerprint = BundleVerifier.fingerprint(try fixture.ledgerKey.publicBytes())
        XCTAssertTrue(own.stdout.contains(fingerprint), own.stdout)

        let pem = dir.file("ledger.pem")
        try fixture.ledgerKey.publicKeyPEM().write(toFile: pem, atomically: true, encoding: .utf8)
        let keyed = try verify([path, "--key", pem, "--json"])
        XCTAssertEqual(keyed.status, 0, keyed.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(keyed.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(report["ok"] as? Bool, true)
        XCTAssertEqual(report["bundle"] as? String, "BN-000001")
        XCTAssertEqual(report["case"] as? String, "CPS/2026/1187")
        XCTAssertEqual(report["key_source"] as? String, "key")
        XCTAssertEqual(report["key_fingerprint"] as? String, fingerprint)
        XCTAssertEqual((report["checked"] as? [String: Int])?["events"], 3)
        XCTAssertNil(report["failure"])
    }

    func testFailuresExitOneNamingThemAndNonBundlesExitTwo() throws {
        let (_, path) = try fixtureBundle()
        let other = dir.file("other.pem")
        try Ed25519Key.generate().publicKeyPEM().write(toFile: other, atomically: true, encoding: .utf8)
        let wrongKey = try verify([path, "--key", other, "--json"])
        XCTAssertEqual(wrongKey.status, 1, wrongKey.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(wrongKey.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(report["ok"] as? Bool, false)
        let failure = try XCTUnwrap(report["failure"] as? [String: Any])
        XCTAssertEqual(failure["step"] as? String, "signature")
        XCTAssertEqual(failure["entry"] as? String, "custody/signature")

        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let clipData = try XCTUnwrap(bytes.range(of: Data("data/EX-000001_cam_1.mp4".utf8))).upperBound
        bytes[clipData + 1000] ^= 0x10
        let tampered = dir.file("tampered.zip")
        try bytes.write(to: URL(fileURLWithPath: tampered))
        let crc = try verify([tampered])
        XCTAssertEqual(crc.status, 1, crc.stderr)
        XCTAssertTrue(crc.stdout.hasPrefix("FAILED (zip): the CRC-32 of entry BN-000001/data/EX-000001_cam_1.mp4"),
                      crc.stdout)
        XCTAssertTrue(crc.stdout.contains("entry: BN-000001/data/EX-000001_cam_1.mp4"), crc.stdout)

        let empty = dir.file("empty.zip")
        FileManager.default.createFile(atPath: empty, contents: Data())
        let noZip = try verify([empty, "--json"])
        XCTAssertEqual(noZip.status, 2, noZip.stderr)
        XCTAssertTrue(noZip.stderr.contains("is no ZIP"), noZip.stderr)
        XCTAssertEqual(try verify([dir.file("missing.zip")]).status, 2)
        XCTAssertEqual(try verify([]).status, 2)
        XCTAssertEqual(try verify([path, "--server", "ftp://x"]).status, 2)
    }

    /// A bundle whose events are in this vault's ledger, checked against `custody serve` over loopback:
    /// the key from /ledger/key, the newest checkpoint and a consistency proof once the log has grown.
    func testVerifyAgainstARealServer() throws {
        let key = try Ed25519Key(pem: try String(contentsOfFile: data + "/keys/ledger.key", encoding: .utf8))
        let vkey = try custody(["ledger", "key"]).stdout.split(separator: "\n")[0]
        let origin = String(vkey.prefix { $0 != "+" })
        let (fixture, path) = try fixtureBundle((data + "/custody.sqlite", key, origin))
        let kept = dir.file("kept.checkpoint")
        try fixture.log.latestCheckpoint()!.note.write(toFile: kept, atomically: true, encoding: .utf8)
        for _ in 0..<4 { _ = try fixture.log.append(CustodyEvent(actor: .system, action: .verify)) }
        let (server, port, _) = try serve()
        defer { server.terminate(); server.waitUntilExit() }
        let url = "http://127.0.0.1:\(port)"
        let checked = try verify([path, "--server", url])
        XCTAssertEqual(checked.status, 0, checked.stdout + checked.stderr)
        XCTAssertTrue(checked.stdout.contains("consistency with the later checkpoint"), checked.stdout)
        XCTAssertTrue(checked.stdout.contains("Key: from the server's /ledger/key"), checked.stdout)
        XCTAssertEqual(try verify([path, "--server", url, "--checkpoint", kept]).status, 0)

        // A checkpoint of the bundle's size with another root, signed with the vault's key: a fork.
        let size = try Checkpoint.open(String(contentsOfFile: kept, encoding: .utf8),
                                       verifier: fixture.signer.verifier).size
        let fork = dir.file("fork.checkpoint")
        try Checkpoint.sign(size: size, root: SHA256.hash([9]), signer: fixture.signer).note
            .write(toFile: fork, atomically: true, encoding: .utf8)
        let forked = try verify([path, "--server", url, "--checkpoint", fork])
        XCTAssertEqual(forked.status, 1, forked.stdout + forked.stderr)
        XCTAssertTrue(forked.stdout.hasPrefix("FAILED (consistency)"), forked.stdout)

        let unreachable = try verify([path, "--server", "http://127.0.0.1:1"])
        XCTAssertEqual(unreachable.status, 3, unreachable.stdout + unreachable.stderr)
    }

    /// A bundle made before `rotate-key ledger` is signed, with its checkpoint, by the key now retired:
    /// `--server` takes it from /ledger/keys with the size of the last checkpoint it signed. One made
    /// afterwards with the retired private key (kept by a thief), over a log past that size, is refused.
    func testABundleMadeBeforeAKeyRotationVerifiesAgainstTheRotatedServer() throws {
        let oldKey = try Ed25519Key(pem: try String(contentsOfFile: data + "/keys/ledger.key", encoding: .utf8))
        let vkey = try custody(["ledger", "key"]).stdout.split(separator: "\n")[0]
        let origin = String(vkey.prefix { $0 != "+" })
        let (_, path) = try fixtureBundle((data + "/custody.sqlite", oldKey, origin))
        let rotate = try custody(["rotate-key", "ledger", "--reason", "annual rotation"])
        XCTAssertEqual(rotate.status, 0, rotate.stderr)

        // The forgery: the vault's log copied, grown, and signed past the retired key's last checkpoint.
        guard let sqlite = which("sqlite3") else { throw XCTSkip("sqlite3 CLI not installed") }
        let copy = dir.file("copy.sqlite")
        XCTAssertEqual(try runProcess(sqlite, [data + "/custody.sqlite", ".backup \(copy)"]).status, 0)
        var options = FixtureBundle.Options()
        options.id = "BN-000002"
        let forger = try FixtureBundle(work: dir.file("work"), options: options, ledger: (copy, oldKey, origin))
        let forgedPath = dir.file("BN-000002.zip")
        let forgedCheckpoint = try forger.write(clipFile: dir.file("work/clip.mp4"), to: forgedPath)
        let retired = try custody(["ledger", "key", "--all"]).stdout.split(separator: "\n")
        XCTAssertEqual(retired.count, 2)
        let lastSize = try XCTUnwrap(UInt64(try XCTUnwrap(retired[1].split(separator: " ").last)))
        XCTAssertGreaterThan(forgedCheckpoint.size, lastSize)

        let (server, port, _) = try serve()
        defer { server.terminate(); server.waitUntilExit() }
        let url = "http://127.0.0.1:\(port)"
        let checked = try verify([path, "--server", url, "--json"])
        XCTAssertEqual(checked.status, 0, checked.stdout + checked.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(checked.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(report["key_source"] as? String, "server")
        XCTAssertEqual(report["key_fingerprint"] as? String, BundleVerifier.fingerprint(try oldKey.publicBytes()))

        let forged = try verify([forgedPath, "--server", url])
        XCTAssertEqual(forged.status, 1, forged.stdout + forged.stderr)
        XCTAssertTrue(forged.stdout.hasPrefix("FAILED (checkpoint): custody/checkpoint: the checkpoint of "
                                              + "\(forgedCheckpoint.size) events is signed by the retired key"),
                      forged.stdout)
        XCTAssertTrue(forged.stdout.contains("covered \(lastSize) events"), forged.stdout)
    }

    /// The README's recipe with standard tools, line for line, on a bundle; and the same recipe fails
    /// on a bundle signed by another key.
    func testTheReadmeRecipeWithStandardToolsChecksABundle() throws {
        let (fixture, path) = try fixtureBundle()
        try fixture.ledgerKey.publicKeyPEM().write(toFile: dir.file("ledger.pem"), atomically: true, encoding: .utf8)
        let recipe = """
            set -e
            cd "$1"
            unzip -t BN-000001.zip
            unzip -q BN-000001.zip && cd BN-000001
            openssl pkeyutl -verify -pubin -inkey ../ledger.pem -rawin -in tagmanifest-sha256.txt \\
                -sigfile custody/signature
            sha256sum -c tagmanifest-sha256.txt
            sha256sum -c manifest-sha256.txt
            bagit.py --validate .
            openssl pkey -pubin -in ../ledger.pem -outform DER | sha256sum
            """
        let r = try runProcess("/bin/bash", ["-c", recipe, "recipe", dir.url.path],
                               environment: TestPaths.venvEnvironment)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("Signature Verified Successfully"), r.stdout)
        XCTAssertTrue(r.stdout.contains(BundleVerifier.fingerprint(try fixture.ledgerKey.publicBytes())), r.stdout)

        try Ed25519Key.generate().publicKeyPEM().write(toFile: dir.file("ledger.pem"), atomically: true,
                                                       encoding: .utf8)
        try FileManager.default.removeItem(atPath: dir.file("BN-000001"))
        let forged = try runProcess("/bin/bash", ["-c", recipe, "recipe", dir.url.path],
                                    environment: TestPaths.venvEnvironment)
        XCTAssertNotEqual(forged.status, 0, forged.stdout)
        XCTAssertTrue(forged.stdout.contains("Signature Verification Failure"), forged.stdout + forged.stderr)
    }

    /// `--server https://...`: URLSession (libcurl) speaks TLS and checks the certificate against the
    /// system's CAs: a self-signed one is refused (exit 3, saying why), never used unchecked.
    func testAServerOverTLSWithACertificateNoCATrustsIsRefused() throws {
        let key = try Ed25519Key(pem: try String(contentsOfFile: data + "/keys/ledger.key", encoding: .utf8))
        let vkey = try custody(["ledger", "key"]).stdout.split(separator: "\n")[0]
        let (_, path) = try fixtureBundle((data + "/custody.sqlite", key, String(vkey.prefix { $0 != "+" })))
        let tls = try TLSFixture()
        let (server, port, _) = try serve(["--tls-cert", tls.certificate, "--tls-key", tls.key])
        defer { server.terminate(); server.waitUntilExit() }
        let untrusted = try verify([path, "--server", "https://127.0.0.1:\(port)"])
        XCTAssertEqual(untrusted.status, 3, untrusted.stdout + untrusted.stderr)
        XCTAssertTrue(untrusted.stderr.contains("certificate"), untrusted.stderr)
    }
}
