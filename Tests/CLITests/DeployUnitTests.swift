import Foundation
import TestSupport
import XCTest

/// Deploy/: the systemd unit and the sysusers.d and tmpfiles.d snippets, checked by
/// systemd's own tools (Debian `systemd`), with ExecStart pointing at the binary just built.
final class DeployUnitTests: XCTestCase {
    let dir = TemporaryDirectory("custody-deploy")
    override func tearDown() { dir.remove() }

    func deploy(_ name: String) throws -> String {
        let text = try String(contentsOfFile: TestPaths.root.appendingPathComponent("Deploy/\(name)").path,
                              encoding: .utf8)
        return text.replacingOccurrences(of: "/usr/local/bin/custody", with: TestPaths.custodyBinary)
    }

    func analyze(_ arguments: [String]) throws -> ProcessResult {
        try runProcess(try XCTUnwrap(which("systemd-analyze"), "Scripts/setup installs systemd"), arguments)
    }

    func testTheUnitVerifiesAndIsHardened() throws {
        let unit = dir.file("custody.service")
        try deploy("custody.service").write(toFile: unit, atomically: true, encoding: .utf8)
        let verified = try analyze(["verify", unit])
        XCTAssertEqual(verified.status, 0, verified.stderr)
        XCTAssertEqual(verified.stderr, "", "no warning at all")
        // systemd's own exposure score (0-100 here: 20 is 2.0, "OK"; 100 is an unprotected service).
        let security = try analyze(["security", "--offline=true", "--threshold=20", unit])
        XCTAssertEqual(security.status, 0, security.stdout.suffix(400) + security.stderr)
        for line in ["ProtectSystem=strict", "ReadWritePaths=/var/lib/custody", "NoNewPrivileges=yes", "PrivateTmp=yes",
                     "CapabilityBoundingSet=\n", "Restart=on-failure", "ExecReload=/bin/kill -HUP $MAINPID",
                     "User=custody"] {
            XCTAssertTrue(try deploy("custody.service").contains(line), line)
        }
        // A unit with a mistake is caught: the check can fail.
        try (try deploy("custody.service")).replacingOccurrences(of: "ProtectSystem=strict", with: "ProtectSystem=strictest")
            .write(toFile: unit, atomically: true, encoding: .utf8)
        XCTAssertNotEqual(try analyze(["verify", unit]).stderr, "")
    }

    func testSysusersAndTmpfilesMakeTheAccountAndAPrivateDataDirectory() throws {
        let root = dir.file("root")
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        for file in ["passwd", "group"] {
            try FileManager.default.copyItem(atPath: "/etc/\(file)", toPath: "\(root)/etc/\(file)")
        }
        let sysusers = try runProcess(try XCTUnwrap(which("systemd-sysusers")),
                                      ["--root=\(root)", TestPaths.root.appendingPathComponent("Deploy/custody.sysusers").path])
        XCTAssertEqual(sysusers.status, 0, sysusers.stderr)
        let passwd = try String(contentsOfFile: "\(root)/etc/passwd", encoding: .utf8)
        let account = try XCTUnwrap(passwd.split(separator: "\n").first { $0.hasPrefix("custody:") })
        XCTAssertTrue(account.hasSuffix(":/var/lib/custody:/usr/sbin/nologin"), String(account))
        let tmpfiles = try runProcess(try XCTUnwrap(which("systemd-tmpfiles")),
                                      ["--root=\(root)", "--create",
                                       TestPaths.root.appendingPathComponent("Deploy/custody.tmpfiles").path])
        XCTAssertEqual(tmpfiles.status, 0, tmpfiles.stderr)
        let uid = try XCTUnwrap(Int(account.split(separator: ":")[2]))
        let data = try FileManager.default.attributesOfItem(atPath: "\(root)/var/lib/custody")
        XCTAssertEqual((data[.posixPermissions] as? NSNumber)?.intValue, 0o700)
        XCTAssertEqual((data[.ownerAccountID] as? NSNumber)?.intValue, uid)
        let etc = try FileManager.default.attributesOfItem(atPath: "\(root)/etc/custody")
        XCTAssertEqual((etc[.posixPermissions] as? NSNumber)?.intValue, 0o750)
        XCTAssertEqual((etc[.ownerAccountID] as? NSNumber)?.intValue, 0)
    }
}
