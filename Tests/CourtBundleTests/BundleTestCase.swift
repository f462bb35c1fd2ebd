import BundleFixture
import CourtBundle
import CustodyCore
import Foundation
import TestSupport
import XCTest

/// Writes fixture bundles into a temporary folder.
class BundleTestCase: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUp() {
        dir = TemporaryDirectory("custody-bundle")
    }

    override func tearDown() {
        dir?.remove()
    }

    /// A bundle with a 300 KiB clip (so it is read in more than one piece).
    func makeBundle(_ options: FixtureBundle.Options = FixtureBundle.Options(), name: String = "bundle.zip")
        throws -> (FixtureBundle, String)
    {
        let work = dir.file("work-\(name)")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        var random = SplitMix64(state: 7)
        let clip = work + "/clip.mp4"
        try Data(random.bytes(300 << 10)).write(to: URL(fileURLWithPath: clip))
        let fixture = try FixtureBundle(work: work, options: options)
        let path = dir.file(name)
        try fixture.write(clipFile: clip, to: path)
        return (fixture, path)
    }

    func verify(_ path: String, _ options: BundleVerifier.Options = .init()) throws -> BundleReport {
        try BundleVerifier.verify(path: path, options: options)
    }

    /// The first failure, which must be at `step` naming `entry` (bag path).
    func assertFails(_ report: BundleReport, _ step: BundleFailure.Step, entry: String?, seq: Int64? = nil,
                     file: StaticString = #filePath, line: UInt = #line) {
        guard let failure = report.failure else { return XCTFail("verified", file: file, line: line) }
        XCTAssertEqual(failure.step, step, failure.description, file: file, line: line)
        XCTAssertEqual(failure.entry, entry, failure.description, file: file, line: line)
        if let seq { XCTAssertEqual(failure.seq, seq, failure.description, file: file, line: line) }
    }

    /// Runs `body` and expects the `invalidInput` a file that is no ZIP or no bundle gets (exit 2).
    func assertNoBundle(_ path: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try verify(path), file: file, line: line) { error in
            guard let e = error as? CustodyError, case .invalidInput = e.kind else {
                return XCTFail("\(error)", file: file, line: line)
            }
        }
    }

    func copy(_ path: String, flippingByteAt offset: UInt64, mask: UInt8 = 0x01) throws -> String {
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[Int(offset)] ^= mask
        let out = path + ".tampered.zip"
        try bytes.write(to: URL(fileURLWithPath: out))
        return out
    }
}
