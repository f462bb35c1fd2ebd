import Foundation
import XCTest
import TestSupport

/// The PyPI `bagit` validator (`bagit.py`, installed unmodified into .venv by Scripts/setup).
enum BagItPython {
    /// `bagit.py --validate [--fast] DIR`: its exit status and everything it logged (to stderr).
    /// `--fast` checks only the Payload-Oxum against the payload bagit.py finds (count and total size).
    static func validate(_ bag: String, fast: Bool = false,
                         file: StaticString = #filePath, line: UInt = #line) throws -> ProcessResult {
        let tool = TestPaths.root.appendingPathComponent(".venv/bin/bagit.py").path
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            XCTFail("bagit.py is not in .venv/bin: run ./Scripts/setup", file: file, line: line)
            throw CocoaError(.fileNoSuchFile)
        }
        let arguments = ["--validate"] + (fast ? ["--fast"] : []) + [bag]
        return try runProcess(tool, arguments, environment: TestPaths.venvEnvironment)
    }

}
