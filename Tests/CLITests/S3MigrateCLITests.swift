#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Catalog
import CustodyCore
import Foundation
import ObjectStore
import Storage
import TestSupport
import Vault
import XCTest

/// `custody store migrate` from a vault's own `chunks/` to moto's S3: killed (SIGKILL) mid-copy it resumes and
/// finishes, every referenced chunk ends in the bucket, the vault then reads from there, a vault opened before the
/// switch copies what it catalogues after it, and only a supervisor may move the store.
final class S3MigrateCLITests: S3CLITestCase {
    let piece = 65_536

    override func setUpWithError() throws {
        try super.setUpWithError()
        let r = try custody(["init", "--org", "testforce"])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func migrate(_ target: String) throws -> ProcessResult {
        try runProcess(TestPaths.custodyBinary, ["store", "migrate", "--to", target, "--json"],
                       environment: moto.environment.merging(["CUSTODY_DATA": data,
                                                              "CUSTODY_ACTOR": Self.supervisor]) { $1 })
    }

    func testAMigrationKilledMidCopyResumesSwitchesAndEverythingReadsFromTheBucket() throws {
        let big = dir.file("big.bin")
        var bytes = [UInt8](repeating: 0, count: 32 << 20)
        for i in stride(from: 0, to: bytes.count, by: 4096) {  // every chunk different
            bytes[i] = UInt8(truncatingIfNeeded: i >> 12)
            bytes[i + 1] = UInt8(truncatingIfNeeded: i >> 20)
        }
        try Data(bytes).write(to: URL(fileURLWithPath: big))
        XCTAssertEqual(try custody(["ingest", big, "--device", "BW-1", "--chunk-size", String(piece)]).status, 0)
        let total = Set(try sqliteLines("SELECT chunk FROM exhibit_chunks")).count
        XCTAssertGreaterThan(total, 400)
        let target = moto.storeURL("locked", prefix: prefix, extra: "&lock=governance")
        let bucket = try self.bucket("locked")

        for (id, role) in [("PC-9", "officer"), ("EO-9", "evidence-officer"), ("AU-9", "auditor")] {
            try addOfficer(id, role: role)
            let refused = try custody(["store", "migrate", "--to", target], actor: id)
            XCTAssertEqual(refused.status, 2, role)
            XCTAssertTrue(refused.stderr.contains("may not replace the vault's keys"), refused.stderr)
            XCTAssertEqual(try sqliteLines("SELECT action || ' ' || outcome FROM events ORDER BY seq DESC LIMIT 1"),
                           ["key refused"])
        }
        XCTAssertEqual(try allNames(bucket), [], "a refusal copies nothing")

        // Killed part-way through the copy: nothing switched.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestPaths.custodyBinary)
        process.arguments = ["store", "migrate", "--to", target]
        process.environment = ProcessInfo.processInfo.environment.merging(
            moto.environment.merging(["CUSTODY_DATA": data, "CUSTODY_ACTOR": Self.supervisor]) { $1 }) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        var copied = 0
        while copied < 20 && process.isRunning && Date() < deadline {
            usleep(20_000)
            copied = try bucket.list(after: nil, limit: 1000).count
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)
        let atKill = try allNames(bucket).count
        XCTAssertGreaterThanOrEqual(atKill, 20)
        XCTAssertLessThan(atKill, total, "killed mid-copy")
        XCTAssertEqual(try XCTUnwrap(try json(try custody(["store", "show", "--json"])) as? [String: Any])["store"]
                       as? String, "files")

        let early = try Vault(directory: DataDirectory(root: data))  // as the service's, opened before the switch
        let resumed = try XCTUnwrap(try json(try migrate(target)) as? [String: Any])
        XCTAssertGreaterThanOrEqual(resumed["already_there"] as? Int ?? 0, atKill - 8, "what was there is not copied again")
        XCTAssertEqual((resumed["copied"] as? Int ?? 0) + (resumed["already_there"] as? Int ?? 0), total)
        XCTAssertEqual(resumed["checked"] as? Int, total)
        XCTAssertEqual(Set(try allNames(bucket).map(\.hex)), Set(try sqliteLines("SELECT chunk FROM exhibit_chunks")))
        let show = try XCTUnwrap(try json(try custody(["store", "show", "--json"])) as? [String: Any])
        XCTAssertEqual(show["store"] as? String, try StoreLocationText.normalized(target))
        XCTAssertEqual(show["lock"] as? String, "GOVERNANCE")
        XCTAssertEqual(try sqliteLines("SELECT action || ' ' || json_extract(details, '$.change') || ' ' || "
                                       + "json_extract(details, '$.from') FROM events ORDER BY seq DESC LIMIT 1"),
                       ["key chunk store files"])
        XCTAssertNotEqual(try migrate(target).status, 0, "moved already")

        // The vault opened before the switch catalogues into the new store; it runs no retention on the old one.
        let late = dir.file("late.bin")
        try Data(repeating: 0x5a, count: 3 * piece + 10).write(to: URL(fileURLWithPath: late))
        // Its chunks go to the new store before its catalogue's transaction: while another connection holds the
        // writer (as the service's other requests may), they arrive in the bucket all the same.
        let before = try allNames(bucket).count
        let holding = Unchecked(value: (try Vault(directory: DataDirectory(root: data)), bucket, HeldWriter()))
        let held = DispatchSemaphore(value: 0), released = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let (holder, bucket, seen) = holding.value
            try? holder.db.transaction {
                held.signal()
                let deadline = Date().addingTimeInterval(8)  // under the ingest's busy timeout of 10 s
                repeat {
                    seen.objects = (try? bucket.list(after: nil, limit: 1000).count) ?? 0
                    usleep(20_000)
                } while seen.objects < before + 2 && Date() < deadline
            }
            released.signal()
        }
        held.wait()
        let stored = try early.ingest(path: late, source: IngestSource(filename: "late.bin", device: "BW2-1"),
                                      actor: .officer(Self.supervisor), chunkSize: piece)
        released.wait()
        XCTAssertEqual(holding.value.2.objects, before + 2, "the 2 different chunks copied while the writer was held")
        XCTAssertThrowsError(try early.runRetention(by: .officer(Self.supervisor)))
        XCTAssertEqual(Set(try allNames(bucket).map(\.hex)), Set(try sqliteLines("SELECT chunk FROM exhibit_chunks")))

        // The old folder put aside: the vault reads everything from the bucket.
        try FileManager.default.moveItem(atPath: dir.file("data/chunks"), toPath: dir.file("chunks.old"))
        let verify = try custody(["verify"])
        XCTAssertEqual(verify.status, 0, verify.stdout + verify.stderr)
        let out = dir.file("out.bin")
        XCTAssertEqual(try custody(["export", "EX-000001", "--out", out, "--reason", "check"]).status, 0)
        XCTAssertEqual(FileManager.default.contents(atPath: out), Data(bytes))
        XCTAssertEqual(try custody(["export", stored.exhibit.id, "--out", dir.file("late.out"), "--reason", "c"]).status, 0)
        XCTAssertEqual(try custody(["ledger", "verify"]).status, 0)
    }
}

/// What the thread holding the writer saw in the bucket.
private final class HeldWriter: @unchecked Sendable {
    var objects = 0
}
