import Foundation
import TestSupport
import XCTest

/// Runs the built `custody` binary against a fresh data directory.
class CLITestCase: XCTestCase {
    var dir: TemporaryDirectory!
    var data: String { dir.file("data") }

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: TestPaths.custodyBinary) else {
            throw XCTSkip("build the custody binary first (swift build)")
        }
        dir = TemporaryDirectory("custody-cli")
        let r = try custody(["init", "--org", "testforce"])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    /// Runs `custody ARGS --data <tmp>` with CUSTODY_ACTOR unset unless `actor` is given.
    @discardableResult
    func custody(_ args: [String], actor: String? = nil, stdin: String? = nil) throws -> ProcessResult {
        var env = ["CUSTODY_DATA": data, "CUSTODY_ACTOR": ""]
        if let actor { env["CUSTODY_ACTOR"] = actor }
        return try runProcess(TestPaths.custodyBinary, args, environment: env, stdin: stdin)
    }

    func json(_ r: ProcessResult, file: StaticString = #filePath, line: UInt = #line) throws -> Any {
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
    }

    /// Rows of the events table as `action|outcome|exhibit` via the sqlite3 CLI.
    func eventRows() throws -> [String] {
        guard let sqlite = which("sqlite3") else { throw XCTSkip("sqlite3 CLI not installed") }
        let r = try runProcess(sqlite, [dir.file("data/custody.sqlite"),
                                        "SELECT action || '|' || outcome || '|' || COALESCE(exhibit, '') FROM events ORDER BY seq"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stdout.split(separator: "\n").map(String.init)
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
