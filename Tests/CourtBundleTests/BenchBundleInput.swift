import BundleFixture
import Foundation
import XCTest

/// Not a test: `Scripts/bench bundle-verify` runs it to write its input, a fixture bundle around the
/// clip CUSTODY_BENCH_CLIP at CUSTODY_BENCH_BUNDLE (until the transfer worker can write a 4 GiB one).
final class BenchBundleInput: XCTestCase {
    func testWriteBenchBundle() throws {
        let env = ProcessInfo.processInfo.environment
        guard let clip = env["CUSTODY_BENCH_CLIP"], let out = env["CUSTODY_BENCH_BUNDLE"] else {
            throw XCTSkip("set CUSTODY_BENCH_CLIP and CUSTODY_BENCH_BUNDLE to write the bench's bundle")
        }
        let work = out + ".work"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        var options = FixtureBundle.Options()
        options.derived = false
        try FixtureBundle(work: work, options: options).write(clipFile: clip, to: out)
    }
}
