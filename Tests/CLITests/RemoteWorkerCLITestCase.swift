#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import TestSupport
import XCTest

/// A primary `custody serve` with remote redaction on, and remote workers (`custody worker --server`)
/// as separate processes with their own scratch folders, over loopback HTTP.
class RemoteWorkerCLITestCase: BundleCLITestCase {
    /// Registers worker `name` and returns its token.
    func addWorker(_ name: String) throws -> String {
        let object = try json(try custody(["worker", "add", name, "--json"])) as? [String: Any]
        return try XCTUnwrap(object?["token"] as? String)
    }

    /// The primary, leasing redactions for `leaseSeconds`.
    func servePrimary(leaseSeconds: Int = 3) throws -> (process: Process, port: Int, log: CollectedOutput) {
        try serve(["--remote-redaction", "on", "--redaction-lease", String(leaseSeconds)])
    }

    /// Starts `custody worker --server` with its own scratch folder and `--token token`; `pauseMark`: it stops
    /// mid-redaction (`TransferTestHook`) and writes its PID there.
    func startWorker(port: Int, token: String, name: String, pauseMark: String? = nil, extra: [String] = [])
        throws -> (process: Process, log: CollectedOutput, scratch: String) {
        let scratch = dir.file("scratch-\(name)")
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestPaths.custodyBinary)
        process.arguments = ["worker", "--server", "http://127.0.0.1:\(port)", "--scratch", scratch]
            + (token.isEmpty ? [] : ["--token", token]) + extra  // empty: `extra` says where the token is
        var environment = ProcessInfo.processInfo.environment
        environment["CUSTODY_DATA"] = nil
        if let pauseMark {
            environment["CUSTODY_TEST_WORKER_PAUSE"] = "redacting"
            environment["CUSTODY_TEST_WORKER_PAUSE_MARK"] = pauseMark
        }
        process.environment = environment
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let log = CollectedOutput()
        log.collect(stderr.fileHandleForReading)
        return (process, log, scratch)
    }

    /// `POST path` to the primary with `token` and a JSON `body`, by curl: the status and the body.
    func post(_ port: Int, _ path: String, token: String, body: Any = [String: Any]()) throws -> (Int, String) {
        let curl = try XCTUnwrap(which("curl"))
        let file = dir.file("body-\(UUID().uuidString.prefix(8)).json")
        try JSONSerialization.data(withJSONObject: body).write(to: URL(fileURLWithPath: file))
        let r = try runProcess(curl, ["-sS", "-X", "POST", "-H", "Authorization: Bearer \(token)",
                                      "-H", "Content-Type: application/json", "--data-binary", "@\(file)",
                                      "-w", "\n%{http_code}", "http://127.0.0.1:\(port)\(path)"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    /// Leases a redaction as the worker with `token`, as a worker would: the lease's JSON.
    func lease(_ port: Int, token: String) throws -> [String: Any] {
        let (status, body) = try post(port, "/api/v1/worker/lease", token: token)
        XCTAssertEqual(status, 200, body)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
    }

    /// A spec file holding `text`.
    func specFile(_ name: String, _ text: String) throws -> String {
        let path = dir.file(name)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Queues a bundle of case CPS/1 sending `clips` (`EXHIBIT:SPEC`).
    func queue(_ clips: [String]) throws {
        let r = try custody(["bundle", "create", "--case", "CPS/1", "--recipient", "clerk@court.example"]
                            + clips.flatMap { ["--exhibit", $0] }, actor: "PC-1")
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    /// Stops a process with SIGTERM and returns its exit status.
    func terminate(_ process: Process) -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Events of the catalogued redactions (the derived exhibits' own `redact` events): `actor|exhibit`.
    func cataloguedRedactions() throws -> [String] {
        try sqliteLines("SELECT actor_kind || ':' || actor || '|' || exhibit FROM events WHERE action = 'redact' "
                        + "AND outcome = 'ok' AND json_extract(details, '$.role') IS NULL ORDER BY seq")
    }
}
