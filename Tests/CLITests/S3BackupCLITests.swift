#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import CustodyCore
import Foundation
import ObjectStore
import Storage
import TestSupport
import XCTest

/// `custody backup --no-chunks` of a vault on moto's S3: catalog, ledger and keys (no chunks, no credentials),
/// restored into a new data directory that reads its chunks from the bucket and verifies; refused, with nothing
/// written, when the bucket lacks a chunk or cannot be reached.
final class S3BackupCLITests: S3CLITestCase {
    var backup: String { dir.file("backup") }

    /// `restore-backup` into `target` with `environment` (moto's key pair by default).
    func restore(into target: String, environment: [String: String]? = nil) throws -> ProcessResult {
        try runProcess(TestPaths.custodyBinary, ["restore-backup", backup, "--data", target, "--json"],
                       environment: environment ?? s3.environment)
    }

    func testABackupWithoutChunksRestoresIntoAVaultThatReadsThemFromTheBucket() throws {
        let store = s3.storeURL("plain", prefix: prefix)
        XCTAssertEqual(try initialize(store).status, 0)
        for fixture in ["bodycam-a.mp4", "bodycam-b.mp4"] {
            let r = try custody(["ingest", TestPaths.fixture(fixture), "--device", "BW-1", "--chunk-size", "65536"])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let named = Set(try sqliteLines("SELECT DISTINCT chunk FROM exhibit_chunks"))
        XCTAssertGreaterThan(named.count, 2)

        let made = try XCTUnwrap(try json(try custody(["backup", backup, "--no-chunks", "--json"])) as? [String: Any])
        XCTAssertEqual(made["ok"] as? Bool, true)
        XCTAssertEqual(made["chunks_included"] as? Bool, false)
        XCTAssertEqual(made["chunks"] as? Int, 0)
        XCTAssertEqual(made["missing"] as? [String], [])
        XCTAssertEqual(made["chunk_store"] as? String, try StoreLocationText.normalized(store))
        XCTAssertFalse(FileManager.default.fileExists(atPath: backup + "/chunks"), "no chunks in the backup")
        XCTAssertFalse(FileManager.default.fileExists(atPath: backup + "/keys/s3.credentials"), "credentials stay")
        let manifest = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(
            fileURLWithPath: backup + "/backup.json"))) as? [String: Any])
        XCTAssertEqual(manifest["chunks"] as? String, "none")
        XCTAssertEqual(manifest["chunk_store"] as? String, try StoreLocationText.normalized(store))
        XCTAssertEqual(try sqliteLines("SELECT json_extract(details, '$.chunks') FROM events WHERE action = 'backup'"),
                       ["none"])

        // Without credentials the bucket cannot be checked: refused, nothing written.
        let blind = dir.file("blind")
        let noKeys = try restore(into: blind, environment: [:])
        XCTAssertNotEqual(noKeys.status, 0)
        XCTAssertTrue(noKeys.stderr.contains("could not be checked") && noKeys.stderr.contains("AWS_ACCESS_KEY_ID"),
                      noKeys.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: blind))

        let restored = dir.file("restored")
        let r = try restore(into: restored)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let answer = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(answer["chunks_included"] as? Bool, false)
        XCTAssertEqual(answer["chunks"] as? Int, named.count)
        XCTAssertEqual(answer["missing_chunks"] as? [String], [])
        XCTAssertFalse(r.stdout.contains(s3.secretAccessKey) || r.stderr.contains(s3.secretAccessKey))
        let saved = restored + "/keys/s3.credentials"
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: saved)[.posixPermissions] as? Int, 0o600)

        // The restored vault, without the key pair in its environment, reads every chunk from the bucket.
        func onRestored(_ args: [String]) throws -> ProcessResult {
            try runProcess(TestPaths.custodyBinary, args + ["--data", restored],
                           environment: ["CUSTODY_ACTOR": Self.supervisor])
        }
        let verify = try onRestored(["verify"])
        XCTAssertEqual(verify.status, 0, verify.stdout + verify.stderr)
        let out = dir.file("a.out")
        XCTAssertEqual(try onRestored(["export", "EX-000001", "--out", out, "--reason", "restore check"]).status, 0)
        XCTAssertEqual(FileManager.default.contents(atPath: out),
                       FileManager.default.contents(atPath: TestPaths.fixture("bodycam-a.mp4")))
        XCTAssertEqual(try onRestored(["ledger", "verify"]).status, 0)

        // A chunk gone from the bucket: the next restore is refused, naming how many, and writes nothing.
        let gone = try XCTUnwrap(named.sorted().first.flatMap(SHA256Digest.init(hex:)))
        try bucket("plain").delete(gone)
        let short = dir.file("short")
        let refused = try restore(into: short)
        XCTAssertEqual(refused.status, 2, refused.stdout + refused.stderr)
        XCTAssertTrue(refused.stderr.contains("does not list 1 of the \(named.count) chunks")
                      && refused.stderr.contains(gone.hex), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: short), "nothing restored")
    }
}
