import Crypto
import CustodyCore
import Foundation
import TestSupport
import XCTest

/// `store show`, `store sync-locks` and `store gc` on a vault's own `chunks/` folder (a file's age is its mtime).
final class StoreCLITests: CLITestCase {
    /// Writes a chunk file no exhibit names, modified `age` seconds ago; returns its name.
    func orphan(_ byte: UInt8, age: TimeInterval) throws -> String {
        let bytes = Data(repeating: byte, count: 500)
        let name = SHA256.hash(bytes).hex
        let path = dir.file("data/chunks/\(name.prefix(2))/\(name)")
        try bytes.write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-age)], ofItemAtPath: path)
        return name
    }

    func testGCDeletesOldUnreferencedChunkFilesAndKeepsTheRest() throws {
        let file = dir.file("rec.bin")
        try Data(repeating: 4, count: 200_000).write(to: URL(fileURLWithPath: file))
        XCTAssertEqual(try custody(["ingest", file, "--device", "BW-1", "--chunk-size", "65536"]).status, 0)
        let old = try orphan(1, age: 2 * 86_400), recent = try orphan(2, age: 60)

        let gc = try XCTUnwrap(try json(try custody(["store", "gc", "--json"])) as? [String: Any])
        XCTAssertEqual(gc["deleted"] as? [String], [old])
        XCTAssertEqual(gc["young_unreferenced"] as? Int, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("data/chunks/\(old.prefix(2))/\(old)")))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.file("data/chunks/\(recent.prefix(2))/\(recent)")))
        XCTAssertEqual(try custody(["verify"]).status, 0, "every exhibit's chunks are still there")

        let text = try custody(["store", "gc", "--older-than", "30s"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("DELETED  \(recent)"), text.stdout)
    }

    func testBadDurationsAreRefusedAndShowAndSyncLocksSayWhatAFileStoreIs() throws {
        for bad in ["1y", "-1d", "+5m", "d", "10", "9999999999d"] {
            let r = try custody(["store", "gc", "--older-than", bad])
            XCTAssertEqual(r.status, 2, bad)
            XCTAssertTrue(r.stderr.contains("--older-than must be"), r.stderr)
        }
        let show = try XCTUnwrap(try json(try custody(["store", "show", "--json"])) as? [String: Any])
        XCTAssertEqual(show["store"] as? String, "files")
        XCTAssertEqual(show["reachable"] as? Bool, true)
        XCTAssertTrue(show["lock"] is NSNull)
        let sync = try custody(["store", "sync-locks"])
        XCTAssertEqual(sync.status, 0, sync.stderr)
        XCTAssertTrue(sync.stdout.contains("does not lock chunks"), sync.stdout)
        XCTAssertTrue(try custody(["store", "gc", "--help"]).stdout.contains("--older-than DURATION"))
    }
}
