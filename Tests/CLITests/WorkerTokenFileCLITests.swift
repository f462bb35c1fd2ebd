#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import TestSupport
import XCTest

/// `custody worker --token-file FILE`: the token off the command line (where `ps` shows it), from a file checked as
/// the S3 credentials file is (this user's, 0600 or 0400, no symbolic link), never quoted.
final class WorkerTokenFileCLITests: RemoteWorkerCLITestCase {
    func testATokenFileIsReadWhenPrivateAndRefusedOtherwiseWithoutQuotingIt() throws {
        let token = try addWorker("w-file")
        let (primary, port, _) = try servePrimary()
        defer { _ = terminate(primary) }
        let file = dir.file("worker.token")
        FileManager.default.createFile(atPath: file, contents: Data((token + "\n").utf8),
                                       attributes: [.posixPermissions: 0o644])
        let server = "http://127.0.0.1:\(port)"
        let open = try runProcess(TestPaths.custodyBinary, ["worker", "--server", server, "--token-file", file,
                                                            "--scratch", dir.path])
        XCTAssertEqual(open.status, 2, open.stderr)
        XCTAssertTrue(open.stderr.contains("holds a worker token but others may read it") && open.stderr.contains(
            "chmod 600"), open.stderr)
        XCTAssertFalse(open.stderr.contains(token))

        let link = dir.file("token-link")
        chmod(file, 0o600)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: file)
        let linked = try runProcess(TestPaths.custodyBinary, ["worker", "--server", server, "--token-file", link,
                                                              "--scratch", dir.path])
        XCTAssertEqual(linked.status, 2, linked.stderr)
        XCTAssertTrue(linked.stderr.contains("not a symbolic link"), linked.stderr)
        let both = try runProcess(TestPaths.custodyBinary, ["worker", "--server", server, "--token-file", file,
                                                            "--token", token, "--scratch", dir.path])
        XCTAssertEqual(both.status, 2, both.stderr)
        XCTAssertFalse(both.stderr.contains(token))

        let worker = try startWorker(port: port, token: "", name: "w-file", extra: ["--token-file", file])
        eventually(timeout: 30) { worker.log.text.contains("started") }
        XCTAssertEqual(terminate(worker.process), 0, worker.log.text)
        XCTAssertTrue(worker.log.text.contains("started"), worker.log.text)
        XCTAssertFalse(worker.log.text.contains(token))
    }
}
