import Foundation
import TestSupport
import XCTest

final class CrashAndMemoryTests: CLITestCase {
    /// SIGKILL part-way through a large ingest: no half exhibit, verify passes, leftovers cleaned,
    /// and the same ingest then succeeds.
    func testKillDuringIngestLeavesNoHalfExhibit() throws {
        let big = dir.file("big.bin")
        try makeLargeFile(big, mebibytes: 192)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestPaths.custodyBinary)
        process.arguments = ["ingest", big, "--device", "D1", "--chunk-size", "65536", "--data", data, "--as", "PC-1"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait until it is writing chunks, then kill it without warning.
        let tmp = dir.file("data/tmp")
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let staged = (try? FileManager.default.contentsOfDirectory(atPath: tmp).count) ?? 0
            if staged > 0 { break }
            usleep(1000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal, "ingest finished before it could be killed")

        let list = try XCTUnwrap(json(try custody(["list", "--json"])) as? [Any])
        XCTAssertTrue(list.isEmpty, "a killed ingest left an exhibit")
        XCTAssertEqual(try custody(["verify"], actor: "PC-1").status, 0)
        // Opening the vault (the verify above) cleaned the dead process's temporaries.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp), [])

        let again = try XCTUnwrap(json(try custody(["ingest", big, "--device", "D1", "--chunk-size", "65536", "--json"],
                                                   actor: "PC-1")) as? [[String: Any]])
        let sum = try runProcess(which("sha256sum")!, [big]).stdout.prefix(64)
        XCTAssertEqual(again.first?["sha256"] as? String, String(sum))
        XCTAssertEqual(try custody(["verify"], actor: "PC-1").status, 0)
    }

    /// Peak memory stays flat: a 256 MiB ingest peaks far below the file size.
    func testIngestMemoryIsFlat() throws {
        let big = dir.file("big.bin")
        try makeLargeFile(big, mebibytes: 256)
        let r = try runMeasuringPeakRSS(TestPaths.custodyBinary, ["ingest", big, "--device", "D1", "--data", data,
                                                                  "--as", "PC-1"])
        XCTAssertEqual(r.status, 0)
        XCTAssertLessThan(r.peakKiB, 100 * 1024, "peak RSS \(r.peakKiB) KiB")
        XCTAssertGreaterThan(r.peakKiB, 1024, "rusage did not measure the child")
    }
}
