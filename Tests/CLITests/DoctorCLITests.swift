import Foundation
import TestSupport
import XCTest

/// `custody doctor` from the command line: exit 0 when healthy, 1 naming the problem and its fix,
/// --json, the TLS files read from serve's configuration file, and a nearly full file system.
final class DoctorCLITests: CLITestCase {
    func testExitCodesJSONAndTheConfigurationsTLSFiles() throws {
        let healthy = try custody(["doctor"])
        XCTAssertEqual(healthy.status, 0, healthy.stdout + healthy.stderr)
        XCTAssertTrue(healthy.stdout.hasSuffix("All checks passed.\n"), healthy.stdout)
        chmod(dir.file("data/keys/ledger.key"), 0o644)
        let open = try custody(["doctor", "--json"])
        XCTAssertEqual(open.status, 1)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(open.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["ok"] as? Bool, false)
        let permissions = try XCTUnwrap((object["findings"] as? [[String: Any]])?.first { $0["check"] as? String == "permissions" })
        XCTAssertEqual(permissions["level"] as? String, "problem")
        XCTAssertEqual(permissions["fix"] as? String, "chmod 600 \(dir.file("data/keys/ledger.key"))")
        chmod(dir.file("data/keys/ledger.key"), 0o600)
        // A ledger public key swapped for another key's: exit 1 saying which file to replace.
        let pub = dir.file("data/keys/ledger.pub")
        let genuine = try Data(contentsOf: URL(fileURLWithPath: pub))
        XCTAssertEqual(try runProcess("/usr/bin/openssl", ["genpkey", "-algorithm", "ed25519", "-out",
                                                           dir.file("other.key")]).status, 0)
        XCTAssertEqual(try runProcess("/usr/bin/openssl", ["pkey", "-in", dir.file("other.key"), "-pubout", "-out",
                                                           pub]).status, 0)
        let swapped = try custody(["doctor"])
        XCTAssertEqual(swapped.status, 1, swapped.stdout)
        XCTAssertTrue(swapped.stdout.contains("PROBLEM keys: \(pub) is not the public key of "), swapped.stdout)
        XCTAssertTrue(swapped.stdout.contains("mv \(pub) \(pub).wrong"), swapped.stdout)
        try genuine.write(to: URL(fileURLWithPath: pub))
        XCTAssertEqual(try custody(["doctor"]).status, 0)
        // A configuration file naming a certificate whose key is not its own.
        let tls = try TLSFixture(days: 30)
        defer { tls.directory.remove() }
        let conf = dir.file("custody.conf")
        try "tls-cert = \(tls.certificate)\ntls-key = \(try tls.makeUnrelatedKey())\n"
            .write(toFile: conf, atomically: true, encoding: .utf8)
        let mismatched = try custody(["doctor", "--config", conf])
        XCTAssertEqual(mismatched.status, 1, mismatched.stdout)
        XCTAssertTrue(mismatched.stdout.contains("PROBLEM tls:"), mismatched.stdout)
        let matched = try custody(["doctor", "--config", conf, "--tls-key", tls.key])
        XCTAssertEqual(matched.status, 0, matched.stdout)
        XCTAssertTrue(matched.stdout.contains("OK      tls: \(tls.certificate) is valid until"), matched.stdout)
        let missing = try custody(["doctor", "--data", dir.file("nothing")])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stdout.contains("is not a custody data directory"), missing.stdout)
    }

    func testANearlyFullFileSystemIsAProblem() throws {
        guard getuid() == 0, let mount = which("mount"), let umount = which("umount") else {
            throw XCTSkip("needs root to mount a small tmpfs")
        }
        let small = dir.file("small")
        try FileManager.default.createDirectory(atPath: small, withIntermediateDirectories: true)
        guard try runProcess(mount, ["-t", "tmpfs", "-o", "size=8m", "tmpfs", small]).status == 0 else {
            throw XCTSkip("mounting a tmpfs is not permitted here")
        }
        defer { _ = try? runProcess(umount, [small]) }
        XCTAssertEqual(try custody(["init", "--data", small + "/data"]).status, 0)
        let r = try custody(["doctor", "--data", small + "/data"])
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertTrue(r.stdout.contains("PROBLEM disk: 0.0 GiB free of 0.0 GiB"), r.stdout)
        XCTAssertTrue(r.stdout.contains("fix: free space or grow the file system now"), r.stdout)
    }
}
