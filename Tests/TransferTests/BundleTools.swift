import Foundation
import TestSupport
import XCTest

/// Third-party tools, unmodified, run on a bundle: ZIP readers, BagIt validators, openssl, sha256sum.
enum BundleTools {
    static func run(_ tool: String, _ arguments: [String], in folder: String? = nil, venv: Bool = false,
                    file: StaticString = #filePath, line: UInt = #line) throws -> ProcessResult {
        let venvTool = TestPaths.root.appendingPathComponent(".venv/bin/" + tool).path
        let path = venv ? venvTool : try XCTUnwrap(which(tool), "\(tool) is not installed", file: file, line: line)
        guard FileManager.default.isExecutableFile(atPath: path) else {
            XCTFail("\(path) is missing: run ./Scripts/setup", file: file, line: line)
            throw CocoaError(.fileNoSuchFile)
        }
        return try runProcess(path, arguments, environment: TestPaths.venvEnvironment, currentDirectory: folder)
    }

    /// `unzip -t`, `7z t` and Python's `zipfile` (testzip: every CRC) all read the whole archive;
    /// returns the entry names Python lists, in order.
    static func readZip(_ zip: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        let unzip = try run("unzip", ["-t", zip], file: file, line: line)
        XCTAssertEqual(unzip.status, 0, unzip.stdout.suffix(1500) + unzip.stderr, file: file, line: line)
        XCTAssertTrue(unzip.stdout.contains("No errors detected"), unzip.stdout.suffix(1500).description,
                      file: file, line: line)
        let seven = try run("7z", ["t", zip], file: file, line: line)
        let said = seven.stdout + seven.stderr
        XCTAssertEqual(seven.status, 0, said.suffix(1500).description, file: file, line: line)
        XCTAssertTrue(said.contains("Everything is Ok"), said.suffix(1500).description, file: file, line: line)
        XCTAssertFalse(said.contains("Warning") || said.contains("WARNING"), said.suffix(1500).description,
                       file: file, line: line)
        let script = """
            import json, sys, zipfile
            with zipfile.ZipFile(sys.argv[1]) as z:
                assert z.testzip() is None, z.testzip()
                assert all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())
                json.dump([i.filename for i in z.infolist()], sys.stdout)
            """
        let python = try runProcess(TestPaths.python, ["-c", script, zip])
        XCTAssertEqual(python.status, 0, python.stderr, file: file, line: line)
        return try JSONDecoder().decode([String].self, from: Data(python.stdout.utf8))
    }
}
