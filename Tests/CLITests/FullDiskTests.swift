import Foundation
import TestSupport
import XCTest

/// A vault on a tiny tmpfs: filling the disk mid-ingest gives a clear error and changes nothing stored.
final class FullDiskTests: XCTestCase {
    func testIngestOnAFullDiskFailsCleanlyAndKeepsEarlierExhibits() throws {
        guard getuid() == 0, let mount = which("mount"), let umount = which("umount") else {
            throw XCTSkip("needs root to mount a small tmpfs")
        }
        let dir = TemporaryDirectory("custody-full")
        let mountPoint = dir.file("small")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        guard try runProcess(mount, ["-t", "tmpfs", "-o", "size=3m", "tmpfs", mountPoint]).status == 0 else {
            throw XCTSkip("mounting a tmpfs is not permitted here")
        }
        defer { _ = try? runProcess(umount, [mountPoint]) }
        let data = mountPoint + "/data"
        func custody(_ args: [String]) throws -> ProcessResult {
            try runProcess(TestPaths.custodyBinary, args + ["--data", data], environment: ["CUSTODY_ACTOR": "PC-1"])
        }
        XCTAssertEqual(try custody(["init"]).status, 0)
        let small = try custody(["ingest", TestPaths.fixture("bodycam-a.mp4"), "--device", "D1"])
        XCTAssertEqual(small.status, 0, small.stderr)

        let big = dir.file("big.bin")
        FileManager.default.createFile(atPath: big, contents: Data((0..<(6 << 20)).map { UInt8(truncatingIfNeeded: $0 * 7 + $0 >> 13) }))
        let full = try custody(["ingest", big, "--device", "D1"])
        XCTAssertEqual(full.status, 3, full.stderr)
        XCTAssertTrue(full.stderr.contains("disk is full"), full.stderr)

        let list = try custody(["list", "--json"])
        let exhibits = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(exhibits.count, 1)
        XCTAssertEqual(try custody(["verify"]).status, 0)
        let out = dir.file("back.mp4")
        XCTAssertEqual(try custody(["export", "EX-000001", "--out", out, "--reason", "check"]).status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)),
                       try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("bodycam-a.mp4"))))
    }
}
