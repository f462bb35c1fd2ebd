import Foundation
import TestSupport
import XCTest

/// `custody backup` while the service runs and evidence keeps arriving, incremental runs, and
/// `custody restore-backup` into a new data directory that verifies, ledger and checkpoints included.
final class BackupCLITests: CLITestCase {
    var backup: String { dir.file("backup") }

    func ingest(_ fixture: String) throws {
        let r = try custody(["ingest", TestPaths.fixture(fixture), "--device", "BW2-1"], actor: "PC-1")
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func backupJSON() throws -> [String: Any] {
        try XCTUnwrap(try json(try custody(["backup", backup, "--json"])) as? [String: Any])
    }

    func testABackupTakenWhileTheServiceRunsRestoresIntoAVaultThatVerifies() throws {
        try ingest("bodycam-a.mp4")
        let kept = dir.file("checkpoint.txt")
        try custody(["ledger", "checkpoint"]).stdout.write(toFile: kept, atomically: true, encoding: .utf8)
        let (daemon, _, _) = try serve()
        defer { daemon.terminate(); daemon.waitUntilExit() }
        // Evidence keeps arriving while the backup runs: it is in this backup or the next, never half.
        let arriving = Process()
        arriving.executableURL = URL(fileURLWithPath: TestPaths.custodyBinary)
        arriving.arguments = ["ingest", TestPaths.fixture("bodycam-b.mp4"), TestPaths.fixture("random.bin"),
                              "--device", "BW2-1", "--as", "PC-1", "--data", data]
        arriving.standardOutput = FileHandle.nullDevice
        arriving.standardError = FileHandle.nullDevice
        try arriving.run()
        let first = try backupJSON()
        arriving.waitUntilExit()
        XCTAssertEqual(arriving.terminationStatus, 0)
        XCTAssertEqual(first["ok"] as? Bool, true)
        XCTAssertEqual(first["missing"] as? [String], [])
        let second = try backupJSON()
        XCTAssertEqual(second["copied"] as? Int, (second["chunks"] as? Int ?? 0) - (first["chunks"] as? Int ?? 0),
                       "only the chunks new since the first run are copied")
        XCTAssertEqual(try backupJSON()["copied"] as? Int, 0, "nothing new, nothing copied")
        let mode = try FileManager.default.attributesOfItem(atPath: backup + "/keys/ledger.key")[.posixPermissions]
        XCTAssertEqual((mode as? NSNumber)?.intValue, 0o600)

        let restored = dir.file("restored")
        let r = try runProcess(TestPaths.custodyBinary, ["restore-backup", backup, "--data", restored, "--json"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        func onRestored(_ args: [String]) throws -> ProcessResult {
            try runProcess(TestPaths.custodyBinary, args + ["--data", restored], environment: ["CUSTODY_ACTOR": "PC-1"])
        }
        XCTAssertEqual(try onRestored(["verify"]).status, 0)
        let ledger = try onRestored(["ledger", "verify", "--checkpoint", kept])
        XCTAssertEqual(ledger.status, 0, ledger.stdout + ledger.stderr)
        XCTAssertTrue(ledger.stdout.contains("and 1 checkpoint files match"), ledger.stdout)
        // Every exhibit, bit for bit; the backup event is in the restored ledger.
        for id in ["EX-000001", "EX-000002", "EX-000003"] {
            let out = dir.file("\(id).out")
            XCTAssertEqual(try onRestored(["export", id, "--out", out, "--reason", "restore check"]).status, 0)
            let original = dir.file("\(id).orig")
            XCTAssertEqual(try custody(["export", id, "--out", original, "--reason", "restore check"], actor: "PC-1")
                .status, 0)
            XCTAssertEqual(FileManager.default.contents(atPath: out), FileManager.default.contents(atPath: original))
        }
        XCTAssertTrue(try onRestored(["ledger", "log", "--json"]).stdout.contains("\"backup\""))
        // Never over a data directory, and only from a backup.
        let over = try runProcess(TestPaths.custodyBinary, ["restore-backup", backup, "--data", restored])
        XCTAssertEqual(over.status, 2)
        XCTAssertTrue(over.stderr.contains("exists and is not empty"), over.stderr)
        let notBackup = try runProcess(TestPaths.custodyBinary, ["restore-backup", dir.file("nothing"), "--data",
                                                                 dir.file("other")])
        XCTAssertEqual(notBackup.status, 2)
        XCTAssertTrue(notBackup.stderr.contains("is not a custody backup"), notBackup.stderr)
    }

    /// `--no-chunks` of a vault that keeps its chunks in its own folder: allowed (the manifest says so), but no
    /// restore can reach those chunks, so restoring it is refused, saying why, before anything is written.
    func testABackupWithoutChunksOfAFileStoreVaultIsNotRestored() throws {
        try ingest("bodycam-a.mp4")
        let help = try custody(["backup", "--help"])
        XCTAssertTrue(help.stdout.contains("--no-chunks"), help.stdout)
        let made = try XCTUnwrap(try json(try custody(["backup", backup, "--no-chunks", "--json"])) as? [String: Any])
        XCTAssertEqual(made["ok"] as? Bool, true, "the vault's own folder holds every chunk")
        XCTAssertEqual(made["chunks_included"] as? Bool, false)
        XCTAssertEqual(made["chunk_store"] as? String, "files")
        XCTAssertFalse(FileManager.default.fileExists(atPath: backup + "/chunks"))
        let restored = dir.file("restored")
        let r = try runProcess(TestPaths.custodyBinary, ["restore-backup", backup, "--data", restored])
        XCTAssertEqual(r.status, 2, r.stdout + r.stderr)
        XCTAssertTrue(r.stderr.contains("holds no chunks (taken with --no-chunks)")
                      && r.stderr.contains("restore a backup taken without --no-chunks"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: restored), "nothing written")

        // The same folder backed up with its chunks again restores (the manifest says they are there now).
        XCTAssertEqual(try backupJSON()["chunks_included"] as? Bool, true)
        let full = try runProcess(TestPaths.custodyBinary, ["restore-backup", backup, "--data", restored, "--json"])
        XCTAssertEqual(full.status, 0, full.stdout + full.stderr)
    }

    func testDamagedChunksAreNeitherBackedUpNorRestored() throws {
        try ingest("bodycam-a.mp4")
        XCTAssertEqual(try backupJSON()["copied"] as? Int, 1)
        // A chunk damaged in the backup: restore refuses it, naming it.
        let chunk = try XCTUnwrap(FileManager.default.subpathsOfDirectory(atPath: backup + "/chunks")
            .first { $0.count == 67 })
        let path = backup + "/chunks/" + chunk
        chmod(path, 0o644)
        var bytes = try XCTUnwrap(FileManager.default.contents(atPath: path))
        bytes[100] ^= 1
        try bytes.write(to: URL(fileURLWithPath: path))
        let restore = try runProcess(TestPaths.custodyBinary, ["restore-backup", backup, "--data", dir.file("restored")])
        XCTAssertNotEqual(restore.status, 0)
        XCTAssertTrue(restore.stderr.contains(String(chunk.suffix(64))), restore.stderr)
        // A chunk damaged in the vault (its good copy gone from the backup): the backup stops there, naming
        // it, and copies nothing of it.
        try damageChunk(chunk.suffix(64), at: 10)
        try FileManager.default.removeItem(atPath: path)
        let failed = try custody(["backup", backup])
        XCTAssertNotEqual(failed.status, 0)
        XCTAssertTrue(failed.stderr.contains(String(chunk.suffix(64))), failed.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "a damaged chunk is not copied")
    }
}

/// Backing up into the data directory through a symbolic link is refused (recorded) and changes nothing.
final class BackupIntoTheDataDirectoryCLITests: CLITestCase {
    func testABackupFolderLinkedToTheDataDirectoryIsRefused() throws {
        let link = dir.file("link")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: data)
        let before = try FileManager.default.attributesOfItem(atPath: data + "/custody.sqlite")[.systemFileNumber]
        let r = try custody(["backup", link], actor: nil)
        XCTAssertEqual(r.status, 2, r.stdout + r.stderr)
        XCTAssertTrue(r.stderr.contains("the backup folder must be outside the data directory"), r.stderr)
        let after = try FileManager.default.attributesOfItem(atPath: data + "/custody.sqlite")[.systemFileNumber]
        XCTAssertEqual(before as? UInt64, after as? UInt64, "the live catalog was replaced")
        XCTAssertFalse(FileManager.default.fileExists(atPath: data + "/keys/retired"))
        let refused = try refusedEvents()
        XCTAssertEqual(refused.count, 1, refused.joined(separator: "\n"))
        XCTAssertTrue(refused.last?.contains("backup: the backup folder must be outside") == true, refused.joined())
    }
}

/// A backup interrupted (kill -9) before it finished has no `custody.sqlite`: restore refuses it, the
/// next backup into the folder completes it; a ledger key rotated while a backup runs is in it.
final class InterruptedBackupCLITests: CLITestCase {
    var backup: String { dir.file("backup") }
    var mark: String { dir.file("paused") }

    /// `custody backup` held by the test hook once it has its snapshot and keys, before the chunks.
    func pausedBackup() throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestPaths.custodyBinary)
        process.arguments = ["backup", backup, "--data", data]
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["CUSTODY_TEST_BACKUP_PAUSE": "keys", "CUSTODY_TEST_BACKUP_PAUSE_MARK": mark, "CUSTODY_ACTOR": ""]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: mark) && process.isRunning && Date() < deadline { usleep(10_000) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: mark), "the backup never reached its chunks")
        return process
    }

    func restore(_ name: String) throws -> ProcessResult {
        try runProcess(TestPaths.custodyBinary, ["restore-backup", backup, "--data", dir.file(name)])
    }

    func onRestored(_ name: String, _ args: [String]) throws -> ProcessResult {
        try runProcess(TestPaths.custodyBinary, args + ["--data", dir.file(name)],
                       environment: ["CUSTODY_ACTOR": "PC-1"])
    }

    func testAnInterruptedBackupIsRefusedAndTheNextRunCompletesIt() throws {
        let ingest = try custody(["ingest", TestPaths.fixture("bodycam-a.mp4"), "--device", "BW2-1"])
        XCTAssertEqual(ingest.status, 0, ingest.stderr)
        let process = try pausedBackup()
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)
        XCTAssertTrue(FileManager.default.fileExists(atPath: backup + "/keys/ledger.key"), "the keys were copied")
        XCTAssertFalse(FileManager.default.fileExists(atPath: backup + "/custody.sqlite"),
                       "the catalog is put in place last: an interrupted backup does not look complete")

        let refused = try restore("restored")
        XCTAssertEqual(refused.status, 2, refused.stdout + refused.stderr)
        XCTAssertTrue(refused.stderr.contains("\(backup) is an incomplete backup: custody.sqlite is missing"),
                      refused.stderr)
        XCTAssertTrue(refused.stderr.contains("run `custody backup \(backup)` again"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("restored")), "nothing restored")

        let again = try custody(["backup", backup, "--json"], actor: nil)
        let report = try XCTUnwrap(json(again) as? [String: Any])
        XCTAssertEqual(report["missing"] as? [String], [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: backup + "/custody.sqlite.partial"))
        XCTAssertEqual(try restore("restored").status, 0)
        XCTAssertEqual(try onRestored("restored", ["verify"]).status, 0)
        let ledger = try onRestored("restored", ["ledger", "verify"])
        XCTAssertEqual(ledger.status, 0, ledger.stdout + ledger.stderr)
    }

    func testAKeyRotatedWhileABackupRunsIsInTheBackup() throws {
        let kept = dir.file("kept.checkpoint")
        try custody(["ledger", "checkpoint"]).stdout.write(toFile: kept, atomically: true, encoding: .utf8)
        let process = try pausedBackup()
        let rotate = try custody(["rotate-key", "ledger", "--reason", "during the backup"])
        XCTAssertEqual(rotate.status, 0, rotate.stderr)
        try FileManager.default.removeItem(atPath: mark)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertEqual(try restore("restored").status, 0)
        let ledger = try onRestored("restored", ["ledger", "verify", "--checkpoint", kept])
        XCTAssertEqual(ledger.status, 0, ledger.stdout + ledger.stderr)
        // The next backup holds the new key beside the retired one, and restores as well.
        XCTAssertEqual(try custody(["backup", backup], actor: nil).status, 0)
        XCTAssertEqual(try restore("again").status, 0)
        let keys = try onRestored("again", ["ledger", "key", "--all"]).stdout.split(separator: "\n")
        XCTAssertEqual(keys, try custody(["ledger", "key", "--all"]).stdout.split(separator: "\n"))
        XCTAssertEqual(keys.count, 2)
        XCTAssertEqual(try onRestored("again", ["ledger", "verify", "--checkpoint", kept]).status, 0)
    }
}
