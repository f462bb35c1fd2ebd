import Foundation
import TestSupport
import XCTest
@testable import Service

/// The child processes API commands run in, with `/bin/sh` standing in for the custody binary.
final class CommandRunnerTests: XCTestCase {
    func runner(timeLimit: Double = 60, maxOutput: Int = 1 << 20) -> CommandRunner {
        CommandRunner(executable: "/bin/sh", directory: "/srv/custody", slots: 1, timeLimit: timeLimit,
                      maxOutput: maxOutput, killAfter: 0.5)
    }

    func testTheChildGetsTheOfficerAndDataDirectoryAndNothingElseOfTheServersEnvironment() throws {
        setenv("CUSTODY_SERVER", "http://elsewhere:8080", 1)
        setenv("CUSTODY_TOKEN", "cot_secret", 1)
        defer { unsetenv("CUSTODY_SERVER"); unsetenv("CUSTODY_TOKEN") }
        let outcome = try runner().run(["-c", "env; echo oops >&2; exit 2"], as: "PC-1", files: ["a.json": "/x/1"],
                                       cwd: "/")
        XCTAssertEqual(outcome.exit, 2)
        XCTAssertEqual(outcome.stderr, "oops\n")
        let env = Set(outcome.stdout.split(separator: "\n").map { String($0.prefix { $0 != "=" }) })
        XCTAssertTrue(env.isSuperset(of: ["CUSTODY_DATA", "CUSTODY_ACTOR", "CUSTODY_API_FILES"]), "\(env)")
        XCTAssertTrue(outcome.stdout.contains("CUSTODY_ACTOR=PC-1\n"), outcome.stdout)
        XCTAssertTrue(outcome.stdout.contains("CUSTODY_DATA=/srv/custody\n"), outcome.stdout)
        XCTAssertTrue(outcome.stdout.contains(#"CUSTODY_API_FILES={"a.json":"\/x\/1"}"#), outcome.stdout)
        XCTAssertFalse(env.contains("CUSTODY_SERVER") || env.contains("CUSTODY_TOKEN"), "\(env)")
    }

    func testOutputBeyondTheLimitStopsTheCommand() throws {
        let outcome = try runner(maxOutput: 1 << 16).run(["-c", "exec yes custody"], as: "PC-1", files: [:], cwd: "/")
        XCTAssertEqual(outcome.exit, 3)
        XCTAssertLessThanOrEqual(outcome.stdout.utf8.count, 1 << 16)
        XCTAssertTrue(outcome.stderr.contains("printed more than 65536 bytes and was stopped"), outcome.stderr)
    }

    func testACommandPastItsTimeIsInterrupted() throws {
        // SIGINT (a redaction stops and stores nothing), then SIGKILL for a child that ignores it.
        let outcome = try runner(timeLimit: 0.5).run(["-c", "trap '' INT; exec sleep 600"], as: "PC-1", files: [:],
                                                     cwd: "/")
        XCTAssertEqual(outcome.exit, 128 + SIGKILL)
        XCTAssertTrue(outcome.stderr.contains("ran longer than the server allows"), outcome.stderr)
    }
}
