#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import TestSupport
import XCTest

/// A worker killed (SIGKILL) during the redaction and during the ZIP write, at a point a test-only hook
/// (`CUSTODY_TEST_WORKER_PAUSE`) holds it: after a restart the job is built once, no half bundle or
/// scratch file is left, a stored redaction is not redone, and the ledger and `bundle show` tell the
/// job's history.
final class BundleCrashCLITests: BundleCLITestCase {
    /// Starts `custody worker --once` that pauses at `point` and returns it once it is there.
    func pausedWorker(at point: String) throws -> Process {
        let mark = dir.file("paused-\(point)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestPaths.custodyBinary)
        process.arguments = ["worker", "--once", "--data", data]
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["CUSTODY_TEST_WORKER_PAUSE": point, "CUSTODY_TEST_WORKER_PAUSE_MARK": mark]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: mark) && process.isRunning && Date() < deadline { usleep(10_000) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: mark), "the worker never reached \(point)")
        return process
    }

    /// Starts a worker that pauses at `point` and kills it (SIGKILL) there.
    func killWorker(at point: String) throws {
        let process = try pausedWorker(at: point)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)
        let running = try show("BN-000001")
        XCTAssertEqual(running["state"] as? String, "running", "the killed worker's lease stands")
        XCTAssertEqual(files("bundles").filter { $0.hasSuffix(".zip") }, [], "a half bundle is visible")
    }

    /// Restarts a worker, which takes the job over at once (its worker's process is gone); returns
    /// the bundle as shown.
    func restart() throws -> [String: Any] {
        let again = try custody(["worker", "--once"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(again.stdout, "BN-000001 built\n")
        XCTAssertEqual(files("bundles"), ["BN-000001.zip"])
        XCTAssertEqual(files("tmp"), [], "scratch left behind")
        let zip = dir.file("data/bundles/BN-000001.zip")
        let tested = try runProcess(try XCTUnwrap(which("python3")), ["-c", """
            import sys, zipfile
            z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None
            assert "BN-000001/bagit.txt" in z.namelist() and "BN-000001/custody/signature" in z.namelist()
            """, zip])
        XCTAssertEqual(tested.status, 0, tested.stderr)
        let shown = try show("BN-000001")
        XCTAssertEqual(shown["state"] as? String, "done")
        XCTAssertEqual(shown["attempts"] as? Int, 2, "the killed attempt and the one that built it")
        let history = try custody(["ledger", "log", "--json"], actor: "PC-1")
        XCTAssertTrue(history.stdout.contains("ended before it finished (stopped or killed)"), history.stdout)
        XCTAssertEqual(try eventRows().filter { $0.hasPrefix("share|") },
                       ["share|ok|", "share|failed|", "share|ok|"], "queued, the lapsed attempt, built")
        XCTAssertEqual(try custody(["verify"], actor: "PC-1").status, 0)
        return shown
    }

    func queueRedacted() throws {
        try makeCase()
        XCTAssertEqual(try custody(["bundle", "create", "--case", "CPS/1", "--recipient", "clerk@court.example",
                                    "--exhibit", "EX-000001:\(spec)"], actor: "PC-1").status, 0)
    }

    func testAWorkerKilledDuringTheRedactionLeavesNothingAndTheJobFinishesOnce() throws {
        try queueRedacted()
        try killWorker(at: "redacting")
        _ = try restart()
        let exhibits = try XCTUnwrap(json(try custody(["list", "--json"], actor: "PC-1")) as? [[String: Any]])
        XCTAssertEqual(exhibits.count, 3, "two originals and one derived exhibit")
        // The killed redaction read its source (one event); the redaction after the restart is a pair.
        XCTAssertEqual(try eventRows().filter { $0.hasPrefix("redact|") },
                       ["redact|ok|EX-000001", "redact|ok|EX-000001", "redact|ok|EX-000003"])
    }

    func testAWorkerKilledDuringTheZipWriteDoesNotRedactAgain() throws {
        try queueRedacted()
        try killWorker(at: "writing")
        let items = try show("BN-000001")["items"] as? [[String: Any]]
        XCTAssertEqual(items?.first?["derived"] as? String, "EX-000003", "the redaction was noted before the write")
        _ = try restart()
        let exhibits = try XCTUnwrap(json(try custody(["list", "--json"], actor: "PC-1")) as? [[String: Any]])
        XCTAssertEqual(exhibits.count, 3, "one derived exhibit")
        XCTAssertEqual(try eventRows().filter { $0.hasPrefix("redact|") },
                       ["redact|ok|EX-000001", "redact|ok|EX-000003"], "the redaction was done once")
    }

    func testAWorkerStoppedBySIGTERMGivesTheJobBackUncountedAndLeavesNothing() throws {
        try queueRedacted()
        let process = try pausedWorker(at: "redacting")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 0)
        let queued = try show("BN-000001")
        XCTAssertEqual(queued["state"] as? String, "queued")
        XCTAssertEqual(queued["attempts"] as? Int, 0, "a stopped attempt is not counted")
        XCTAssertTrue(queued["lease_owner"] is NSNull)
        XCTAssertEqual(files("tmp"), [], "the stopped redaction removed its work folder")
        XCTAssertEqual(try eventRows().filter { $0.hasPrefix("redact|") },
                       ["redact|ok|EX-000001", "redact|failed|EX-000001"], "the source read, then the cancellation")
        let again = try custody(["worker", "--once"])
        XCTAssertEqual(again.stdout, "BN-000001 built\n", again.stderr)
        XCTAssertEqual(try show("BN-000001")["attempts"] as? Int, 1)
    }
}
