#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import TestSupport
import XCTest

/// The worker running for good: in `custody serve` and as `custody worker`, stopped by SIGTERM.
final class BundleDaemonCLITests: BundleCLITestCase {
    func testServeBuildsQueuedBundlesAndWaitFollowsItsWorker() throws {
        try makeCase()
        let (daemon, port, log) = try serve()
        let r = try custody(["bundle", "create", "--case", "CPS/1", "--recipient", "clerk@court.example",
                             "--exhibit", "EX-000001:\(spec)", "--wait"], actor: "PC-1")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stderr.contains("in this process"), "the service's worker took it: \(r.stderr)")
        XCTAssertTrue(r.stdout.hasPrefix("http://127.0.0.1:8080/bundles/BN-000001?exp="), r.stdout)
        // The link printed opens the landing page, and the ZIP it offers is the one built.
        let query = String(try XCTUnwrap(r.stdout.split(separator: "?").last)).trimmingCharacters(in: .newlines)
        let curl = try XCTUnwrap(which("curl"))
        let page = try runProcess(curl, ["-fsS", "http://127.0.0.1:\(port)/bundles/BN-000001?\(query)"])
        XCTAssertEqual(page.status, 0, page.stderr)
        XCTAssertTrue(page.stdout.contains(try XCTUnwrap(show("BN-000001")["sha256"] as? String)))
        let fetched = dir.file("fetched.zip")
        let zipURL = "http://127.0.0.1:\(port)/bundles/BN-000001/BN-000001.zip?\(query)"
        XCTAssertEqual(try runProcess(curl, ["-fsS", "-o", fetched, zipURL]).status, 0)
        XCTAssertEqual(FileManager.default.contents(atPath: fetched),
                       FileManager.default.contents(atPath: dir.file("data/bundles/BN-000001.zip")))
        // What the clerk downloaded verifies against the key and the log the server publishes, and
        // stops verifying with one byte in its middle (the clip's bytes) changed.
        let verified = try custody(["bundle", "verify", fetched, "--server", "http://127.0.0.1:\(port)", "--json"])
        XCTAssertEqual(verified.status, 0, verified.stdout + verified.stderr)
        XCTAssertEqual((try json(verified) as? [String: Any])?["ok"] as? Bool, true, verified.stdout)
        var zip = try XCTUnwrap(FileManager.default.contents(atPath: fetched))
        zip[zip.count / 2] ^= 0x01
        try zip.write(to: URL(fileURLWithPath: fetched))
        let tampered = try custody(["bundle", "verify", fetched, "--server", "http://127.0.0.1:\(port)"])
        XCTAssertEqual(tampered.status, 1, tampered.stdout + tampered.stderr)
        kill(daemon.processIdentifier, SIGTERM)
        daemon.waitUntilExit()
        XCTAssertEqual(daemon.terminationStatus, 0, String(log.text.suffix(3000)))
        XCTAssertTrue(log.text.contains("\"msg\":\"transfer job leased\""), log.text)
        XCTAssertEqual(files("bundles"), ["BN-000001.zip"])
    }

    func testAWorkerBuildsJobsAsTheyComeAndStopsOnSIGTERM() throws {
        try makeCase()
        let worker = Process()
        worker.executableURL = URL(fileURLWithPath: TestPaths.custodyBinary)
        worker.arguments = ["worker", "--data", data]
        worker.standardOutput = FileHandle.nullDevice
        worker.standardError = FileHandle.nullDevice
        try worker.run()
        XCTAssertEqual(try custody(["bundle", "create", "--case", "CPS/1", "--recipient", "clerk@court.example"],
                                   actor: "PC-1").status, 0)
        eventually(timeout: 60) { (try? self.show("BN-000001")["state"] as? String) == "done" }
        kill(worker.processIdentifier, SIGTERM)
        worker.waitUntilExit()
        XCTAssertEqual(worker.terminationReason, .exit)
        XCTAssertEqual(worker.terminationStatus, 0)
        XCTAssertEqual(files("bundles"), ["BN-000001.zip"])
    }
}
