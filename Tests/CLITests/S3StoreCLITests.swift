import Crypto
import CustodyCore
import Foundation
import ObjectStore
import Storage
import TestSupport
import XCTest

/// A vault whose chunks are on S3 (moto's server, signatures checked), driven through the `custody` binary:
/// init checks the bucket, ingest and uploads put every chunk before they are acknowledged, export, redact and
/// verify read them back, and the credentials never show.
final class S3StoreCLITests: S3CLITestCase {
    func testIngestRedactExportAndVerifyInALockedBucket() throws {
        let store = moto.storeURL("locked", prefix: prefix, extra: "&lock=governance")
        let r = try initialize(store)
        XCTAssertEqual(r.status, 0, r.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["store"] as? String, try XCTUnwrap(try? StoreLocationText.normalized(store)))
        let saved = dir.file("data/keys/s3.credentials")
        XCTAssertEqual(object["credentials_saved"] as? String, saved)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: saved)[.posixPermissions] as? Int, 0o600)
        XCTAssertFalse(r.stdout.contains(moto.started.secretAccessKey) || r.stderr.contains(moto.started.secretAccessKey))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("data/chunks/ff")), "no local chunk folders")

        // Later commands read the saved file (the environment has no key pair).
        let ingested = try custody(["ingest", TestPaths.fixture("bodycam-a.mp4"), "--device", "BW-1", "--chunk-size", "65536", "--json"])
        XCTAssertEqual(ingested.status, 0, ingested.stderr)
        let locked = try bucket("locked")
        let names = try allNames(locked)
        let chunks = try sqliteLines("SELECT DISTINCT chunk FROM exhibit_chunks")
        XCTAssertGreaterThan(chunks.count, 1)
        XCTAssertEqual(Set(names.map(\.hex)), Set(chunks), "every chunk, and only those, is an object")
        XCTAssertThrowsError(try locked.delete(names[0])) { error in
            guard case ChunkStoreError.deletionRefused = error else { return XCTFail("\(error)") }
        }

        let out = dir.file("out.mp4")
        let exported = try custody(["export", "EX-000001", "--out", out, "--reason", "court"])
        XCTAssertEqual(exported.status, 0, exported.stderr)
        XCTAssertEqual(FileManager.default.contents(atPath: out), FileManager.default.contents(atPath: TestPaths.fixture("bodycam-a.mp4")))
        let redacted = try custody(["redact", "EX-000001", "--spec", TestPaths.fixture("redaction-spec.json"),
                                    "--reason", "disclosure", "--json"])
        XCTAssertEqual(redacted.status, 0, redacted.stderr)
        XCTAssertGreaterThan(try allNames(locked).count, names.count, "the redaction's chunks are objects too")
        let verified = try custody(["verify"])
        XCTAssertEqual(verified.status, 0, verified.stdout + verified.stderr)
        XCTAssertEqual(try custody(["ledger", "verify"]).status, 0)
    }

    func testVerifyNamesAChangedAndAMissingObjectAndExportWritesNothing() throws {
        XCTAssertEqual(try initialize(moto.storeURL("plain", prefix: prefix)).status, 0)
        let ingested = try custody(["ingest", TestPaths.fixture("bodycam-a.mp4"), "--device", "BW-1", "--chunk-size", "65536"])
        XCTAssertEqual(ingested.status, 0, ingested.stderr)
        let chunks = try sqliteLines("SELECT chunk FROM exhibit_chunks ORDER BY idx")
        let plain = try bucket("plain")
        let changed = try XCTUnwrap(SHA256Digest(hex: chunks[0]))
        let gone = try XCTUnwrap(SHA256Digest(hex: chunks[1]))
        // Other bytes under the first chunk's name, written behind custody's back; the second removed.
        var request = S3Client.Request("PUT", key: changed.hex, operation: "tampering")
        let other = [UInt8](repeating: 0x42, count: 1000)
        request.payloadHash = SHA256.hash(other).hex
        _ = try other.withUnsafeBytes { try plain.client.perform(request, body: $0) }
        try plain.delete(gone)

        let verified = try custody(["verify"])
        XCTAssertNotEqual(verified.status, 0)
        let said = verified.stdout + verified.stderr
        XCTAssertTrue(said.contains(changed.hex) && said.contains(gone.hex), said)
        let out = dir.file("out.mp4")
        XCTAssertNotEqual(try custody(["export", "EX-000001", "--out", out, "--reason", "court"]).status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    func testInitRefusesAnUnlockedBucketForALockAndWrongCredentialsWithoutSayingTheSecret() throws {
        let refused = try initialize(moto.storeURL("plain", prefix: prefix, extra: "&lock=compliance"))
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("does not have Object Lock enabled"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: data + "/custody.sqlite"), "nothing was made")

        let secret = "wrongSECRETvalue0123456789abcdefXYZ"
        let forged = try initialize(moto.storeURL("plain", prefix: prefix),
                                    environment: ["AWS_ACCESS_KEY_ID": moto.started.accessKeyID,
                                                  "AWS_SECRET_ACCESS_KEY": secret])
        XCTAssertNotEqual(forged.status, 0)
        XCTAssertTrue(forged.stderr.contains("SignatureDoesNotMatch") || forged.stderr.contains("403"), forged.stderr)
        XCTAssertFalse(forged.stdout.contains(secret) || forged.stderr.contains(secret))
        XCTAssertFalse(FileManager.default.fileExists(atPath: data + "/custody.sqlite"))

        let url = moto.storeURL("plain", prefix: prefix).replacingOccurrences(of: "s3://", with: "s3://key:pw@")
        let withCredentials = try initialize(url)
        XCTAssertEqual(withCredentials.status, 2, withCredentials.stderr)
        XCTAssertTrue(withCredentials.stderr.contains("must not carry credentials"), withCredentials.stderr)

        XCTAssertEqual(try initialize(moto.storeURL("plain", prefix: prefix)).status, 0)
        let other = try initialize(moto.storeURL("plain", prefix: prefix + "-other"))
        XCTAssertNotEqual(other.status, 0)
        XCTAssertTrue(other.stderr.contains("store migrate"), other.stderr)
    }

    /// A world-readable credentials file is refused, naming the file and never quoting it.
    func testACredentialsFileOthersMayReadIsRefused() throws {
        XCTAssertEqual(try initialize(moto.storeURL("plain", prefix: prefix)).status, 0)
        let saved = dir.file("data/keys/s3.credentials")
        chmod(saved, 0o644)
        let r = try custody(["ingest", TestPaths.fixture("bodycam-a.mp4"), "--device", "BW-1"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("chmod 600"), r.stderr)
        XCTAssertFalse(r.stderr.contains(moto.started.secretAccessKey))
        chmod(saved, 0o600)
        XCTAssertEqual(try custody(["ingest", TestPaths.fixture("bodycam-a.mp4"), "--device", "BW-1"]).status, 0)
    }

    /// A dock's tuspy upload is acknowledged once its chunks are objects; the service found its credentials in
    /// the vault's file.
    func testATuspyUploadCompletesIntoTheBucket() throws {
        XCTAssertEqual(try initialize(moto.storeURL("locked", prefix: prefix, extra: "&lock=governance")).status, 0)
        let token = try custody(["device", "add", "dock-1"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let recording = dir.file("recording.mp4")
        try makeLargeFile(recording, mebibytes: 9)
        let (daemon, port, log) = try serve()
        defer { daemon.terminate(); daemon.waitUntilExit() }
        let upload = try runProcess(TestPaths.python, ["-c", """
            import sys
            from tusclient import client
            c = client.TusClient(f"http://127.0.0.1:{sys.argv[1]}/files/", headers={"Authorization": f"Bearer {sys.argv[2]}"})
            u = c.uploader(sys.argv[3], chunk_size=1 << 20, metadata={"filename": "recording.mp4"})
            u.upload()
            """, String(port), token, recording])
        XCTAssertEqual(upload.status, 0, upload.stderr + log.text)
        eventually(timeout: 30) { (try? self.sqliteLines("SELECT count(*) FROM exhibits")) == ["1"] }
        let chunks = Set(try sqliteLines("SELECT DISTINCT chunk FROM exhibit_chunks"))
        XCTAssertEqual(Set(try allNames(try bucket("locked")).map(\.hex)), chunks)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.file("data/uploads"))
                        .filter { !$0.hasPrefix(".") }.flatMap { name -> [String] in
                            (try? FileManager.default.contentsOfDirectory(atPath: dir.file("data/uploads/\(name)"))) ?? []
                        }, [], "no piece file is left once the chunks are objects")
        let out = dir.file("out.mp4")
        XCTAssertEqual(try custody(["export", "EX-000001", "--out", out, "--reason", "court"]).status, 0)
        XCTAssertEqual(FileManager.default.contents(atPath: out), FileManager.default.contents(atPath: recording))
        XCTAssertFalse(log.text.contains(moto.started.secretAccessKey))
    }

    /// Killed while its chunks go up, an ingest leaves nothing catalogued: no exhibit names an object that is
    /// not there, verify passes, and the same file ingests afterwards.
    func testKillDuringIngestLeavesNoReferencedPartialChunk() throws {
        XCTAssertEqual(try initialize(moto.storeURL("plain", prefix: prefix)).status, 0)
        let recording = dir.file("big.bin")
        try makeLargeFile(recording, mebibytes: 48)
        let plain = try bucket("plain")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestPaths.custodyBinary)
        process.arguments = ["ingest", recording, "--device", "BW-1", "--chunk-size", "262144", "--data", data, "--as", Self.supervisor]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while try allNames(plain).count < 3 && process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        XCTAssertTrue(process.isRunning, "the ingest finished before it could be killed")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(try sqliteLines("SELECT count(*) FROM exhibits"), ["0"])
        XCTAssertEqual(try custody(["verify"]).status, 0)
        let again = try custody(["ingest", recording, "--device", "BW-1", "--chunk-size", "262144"])
        XCTAssertEqual(again.status, 0, again.stderr)
        let verified = try custody(["verify"])
        XCTAssertEqual(verified.status, 0, verified.stdout + verified.stderr)
        let named = Set(try sqliteLines("SELECT DISTINCT chunk FROM exhibit_chunks"))
        XCTAssertTrue(named.isSubset(of: Set(try allNames(plain).map(\.hex))))
    }
}

/// The form a store location is kept in (what `custody init --json` prints as `store`).
enum StoreLocationText {
    static func normalized(_ text: String) throws -> String {
        var url = try XCTUnwrap(URLComponents(string: text))
        let lock = url.queryItems?.first { $0.name == "lock" }?.value
        url.queryItems = nil
        let location = try S3Location(url: text)
        return location.description + (lock.map { "&lock=\($0)" } ?? "")
    }
}
