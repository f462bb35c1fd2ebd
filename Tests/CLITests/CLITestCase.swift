import Foundation
import TestSupport
import XCTest

/// Runs the built `custody` binary against a fresh data directory.
class CLITestCase: XCTestCase {
    var dir: TemporaryDirectory!
    var data: String { dir.file("data") }
    /// What `custody init` printed in `setUp` (the first supervisor's token among it).
    var initialized: ProcessResult!

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: TestPaths.custodyBinary) else {
            throw XCTSkip("build the custody binary first (swift build)")
        }
        dir = TemporaryDirectory("custody-cli")
        let r = try custody(["init", "--org", "testforce"], actor: Self.supervisor)
        XCTAssertEqual(r.status, 0, r.stderr)
        initialized = r
        for (id, role) in officers.sorted(by: { $0.key < $1.key }) { try addOfficer(id, role: role) }
    }

    /// The officer `init` registers as the vault's first supervisor, and whom `custody` acts as unless a
    /// test says otherwise.
    static let supervisor = "PC-1"

    /// The other officers a test case acts as (ID: role), registered by `setUp`.
    var officers: [String: String] { [:] }

    /// Registers officer `id` with `role` (by the supervisor) and returns their personal token.
    @discardableResult
    func addOfficer(_ id: String, role: String = "supervisor", file: StaticString = #filePath,
                    line: UInt = #line) throws -> String {
        let r = try custody(["officer", "add", id, "--name", "Officer \(id)", "--role", role, "--json"])
        let object = try json(r, file: file, line: line) as? [String: Any]
        return try XCTUnwrap(object?["token"] as? String, file: file, line: line)
    }

    override func tearDown() {
        dir?.remove()
    }

    /// Runs `custody ARGS --data <tmp>` as officer `actor` (CUSTODY_ACTOR; the supervisor unless given,
    /// none for nil).
    @discardableResult
    func custody(_ args: [String], actor: String? = CLITestCase.supervisor, stdin: String? = nil) throws
        -> ProcessResult {
        var env = ["CUSTODY_DATA": data, "CUSTODY_ACTOR": ""]
        if let actor { env["CUSTODY_ACTOR"] = actor }
        return try runProcess(TestPaths.custodyBinary, args, environment: env, stdin: stdin)
    }

    func json(_ r: ProcessResult, file: StaticString = #filePath, line: UInt = #line) throws -> Any {
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
    }

    /// The lines the sqlite3 CLI prints for `sql` on the catalog.
    func sqliteLines(_ sql: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        guard let sqlite = which("sqlite3") else { throw XCTSkip("sqlite3 CLI not installed") }
        let r = try runProcess(sqlite, [dir.file("data/custody.sqlite"), sql])
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        return r.stdout.split(separator: "\n").map(String.init)
    }

    /// Rows of the events table as `action|outcome|exhibit`.
    func eventRows() throws -> [String] {
        try sqliteLines("SELECT action || '|' || outcome || '|' || COALESCE(exhibit, '') FROM events ORDER BY seq")
    }

    /// The refused events as `kind:actor action: reason`, oldest first.
    func refusedEvents() throws -> [String] {
        try sqliteLines("SELECT actor_kind || ':' || actor || ' ' || action || ': ' || COALESCE(reason, '') "
                        + "FROM events WHERE outcome = 'refused' ORDER BY seq")
    }

    /// Damages the stored chunk `digest` (hex) in place: flips `mask` in its byte at `offset`.
    func damageChunk(_ digest: some StringProtocol, at offset: Int, mask: UInt8 = 0x80) throws {
        let path = data + "/chunks/\(digest.prefix(2))/\(digest)"
        XCTAssertTrue(FileManager.default.fileExists(atPath: path))
        chmod(path, 0o644)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[offset] ^= mask
        try bytes.write(to: URL(fileURLWithPath: path))
    }

    /// Starts `custody serve` on this data directory and returns it, its port (from the `listening`
    /// log line), and its log (stderr), which keeps being collected until the process exits; its stdout
    /// goes to `stdout` when given.
    func serve(port: Int = 0, _ extra: [String] = [], stdout: CollectedOutput? = nil) throws
        -> (process: Process, port: Int, log: CollectedOutput)
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestPaths.custodyBinary)
        process.arguments = ["serve", "--listen", "127.0.0.1:\(port)", "--data", data] + extra
        let stderr = Pipe()
        process.standardError = stderr
        let out = Pipe()
        process.standardOutput = stdout == nil ? FileHandle.nullDevice : out
        try process.run()
        let log = CollectedOutput()
        log.collect(stderr.fileHandleForReading)
        stdout?.collect(out.fileHandleForReading)
        // A restart logs the ingests it finishes after it listens; other lines may come first.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            for line in log.lines {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      object["msg"] as? String == "listening", let port = object["port"] as? Int else { continue }
                return (process, port, log)
            }
            if log.isClosed { break }
            Thread.sleep(forTimeInterval: 0.01)
        }
        process.terminate()
        throw NSError(domain: "custody serve did not start: \(log.text)", code: 1)
    }

    /// Writes `mebibytes` MiB of incompressible, non-repeating bytes.
    func makeLargeFile(_ path: String, mebibytes: Int) throws {
        var block = [UInt8](repeating: 0, count: 1 << 20)
        var state: UInt64 = 0x9E3779B97F4A7C15
        for i in 0..<block.count {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            block[i] = UInt8(truncatingIfNeeded: state)
        }
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        for m in 0..<mebibytes {
            withUnsafeBytes(of: UInt64(m)) { block.replaceSubrange(0..<8, with: $0) }
            try handle.write(contentsOf: block)
        }
    }
}

/// Output of a child process, collected on another thread.
final class CollectedOutput: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private var closed = false

    func append(_ chunk: Data) { lock.lock(); data += chunk; lock.unlock() }
    func close() { lock.lock(); closed = true; lock.unlock() }
    var isClosed: Bool { lock.lock(); defer { lock.unlock() }; return closed }
    var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: data, as: UTF8.self) }
    var lines: [String] { text.split(separator: "\n").map(String.init) }

    /// Appends what `reader` gives, on another thread, until its end is closed.
    func collect(_ reader: FileHandle) {
        DispatchQueue.global().async {
            while true {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                self.append(chunk)
            }
            self.close()
        }
    }

    /// Waits until the process closed its end (it exited), at most `seconds`.
    func waitForClose(_ seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while !isClosed && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    }
}
