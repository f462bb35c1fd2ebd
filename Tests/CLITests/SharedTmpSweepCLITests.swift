import Foundation
import TestSupport
import XCTest

/// A killed remote worker's temporaries in a shared file store's `chunks/.tmp` are removed by age (its PID means
/// nothing on the primary's machine): whenever the primary opens its vault (so at its start) and at its sweeper's
/// rounds, and at a worker's start.
/// A fresh one (a live writer's) and names custody never makes stay.
final class SharedTmpSweepCLITests: RemoteWorkerCLITestCase {
    /// Writes a file in `store`'s `.tmp` (by default the primary's `chunks/`) last written `hoursAgo` hours ago.
    func temporary(_ name: String, hoursAgo: Double, store: String? = nil) throws -> String {
        let folder = (store ?? data + "/chunks") + "/.tmp"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/" + name
        try Data("half a chunk".utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -hoursAgo * 3600)],
                                              ofItemAtPath: path)
        return path
    }

    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    func testStaleTemporariesAreSweptAtTheStartOfThePrimaryAndOfAWorker() throws {
        let killed = try temporary("4242-beef-7-chunk", hoursAgo: 7)
        let live = try temporary("4243-beef-8-chunk", hoursAgo: 0.5)
        let other = try temporary("notes.txt", hoursAgo: 100)
        let (primary, port, log) = try servePrimary()
        defer { _ = terminate(primary) }
        XCTAssertFalse(exists(killed), log.text)
        XCTAssertTrue(exists(live) && exists(other))

        // A store folder only the worker opens (the primary sweeps its own whenever it opens its vault).
        let shared = dir.file("shared-chunks")
        for byte in 0...255 {
            try FileManager.default.createDirectory(atPath: shared + String(format: "/%02x", byte),
                                                   withIntermediateDirectories: true)
        }
        let killedAgain = try temporary("4244-cafe-1-chunk", hoursAgo: 6.5, store: shared)
        let liveAgain = try temporary("4245-cafe-2-chunk", hoursAgo: 5.5, store: shared)
        let token = try addWorker("w-sweep")
        let worker = try startWorker(port: port, token: token, name: "w-sweep", extra: ["--store", shared])
        eventually(timeout: 30) { worker.log.text.contains("started") }
        XCTAssertEqual(terminate(worker.process), 0, worker.log.text)
        XCTAssertFalse(exists(killedAgain), worker.log.text)
        XCTAssertTrue(worker.log.text.contains("removed stale temporaries of killed writers files=1"), worker.log.text)
        XCTAssertTrue(exists(liveAgain) && exists(live) && exists(other))
    }
}
