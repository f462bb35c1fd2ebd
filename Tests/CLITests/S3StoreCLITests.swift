import Crypto
import CustodyCore
import Foundation
import ObjectStore
import Storage
import TestSupport
import XCTest

/// A vault whose chunks are on S3, driven through the `custody` binary: what both servers run (moto's here,
/// a Ceph RGW in `RGWStoreCLITests`). Each test takes its own prefix in the server's buckets.
class S3CLITestCase: CLITestCase {
    nonisolated(unsafe) static var endpoints: [String: any S3Endpoint] = [:]
    /// The server this class stores on (one per class, started or found once): moto's unless a class says.
    class func makeEndpoint() throws -> any S3Endpoint { try MotoServer() }
    var s3: any S3Endpoint { Self.endpoints["\(Self.self)"]! }
    /// For a class on moto's server (the default): the server itself, to stop or inspect.
    var moto: MotoServer { s3 as! MotoServer }
    var prefix = ""

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: TestPaths.custodyBinary) else {
            throw XCTSkip("build the custody binary first (swift build)")
        }
        if Self.endpoints["\(Self.self)"] == nil { Self.endpoints["\(Self.self)"] = try Self.makeEndpoint() }
        dir = TemporaryDirectory("custody-s3-cli")
        prefix = "vault-" + UUID().uuidString.prefix(8).lowercased()
    }

    /// `custody init --store URL` with the key pair in the environment (as an operator would run it).
    func initialize(_ store: String, environment: [String: String]? = nil) throws -> ProcessResult {
        var env = environment ?? s3.environment
        env["CUSTODY_DATA"] = data
        env["CUSTODY_ACTOR"] = Self.supervisor
        return try runProcess(TestPaths.custodyBinary, ["init", "--org", "testforce", "--store", store, "--json"],
                              environment: env)
    }

    /// The chunk store a test looks into directly (not through custody), on the class's server or `endpoint`.
    func bucket(_ name: String, on endpoint: (any S3Endpoint)? = nil) throws -> S3ChunkStore {
        let s3 = endpoint ?? s3
        let location = S3Location(bucket: s3.bucketName(name), prefix: prefix, host: s3.host, port: s3.port)
        let credentials = S3Credentials(accessKeyID: s3.accessKeyID, secretAccessKey: s3.secretAccessKey)
        return try S3ChunkStore.open(S3Client(location: location, credentials: credentials), lock: nil)
    }

    func allNames(_ store: ChunkStore) throws -> [SHA256Digest] { try store.list(after: nil, limit: 1000) }

    /// Starts `custody worker ARGUMENTS` with `environment` and PATH only (no data directory); its stderr collected.
    func startWorker(_ arguments: [String], environment: [String: String]) throws -> (Process, CollectedOutput) {
        let worker = Process()
        worker.executableURL = URL(fileURLWithPath: TestPaths.custodyBinary)
        worker.arguments = ["worker"] + arguments
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        worker.environment = environment.merging(["PATH": path]) { $1 }
        let log = CollectedOutput()
        let stderr = Pipe()
        worker.standardError = stderr
        worker.standardOutput = FileHandle.nullDevice
        log.collect(stderr.fileHandleForReading)
        try worker.run()
        return (worker, log)
    }

    /// Init in the locked bucket with `lock`, ingest, export, redact, verify: every chunk, and only those, an
    /// object; a locked one's deletion refused; the credentials saved 0600 and never shown.
    func checkIngestRedactExportVerify(lock: String) throws {
        let store = s3.storeURL("locked", prefix: prefix, extra: "&lock=\(lock)")
        let r = try initialize(store)
        XCTAssertEqual(r.status, 0, r.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["store"] as? String, try XCTUnwrap(try? StoreLocationText.normalized(store)))
        let saved = dir.file("data/keys/s3.credentials")
        XCTAssertEqual(object["credentials_saved"] as? String, saved)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: saved)[.posixPermissions] as? Int, 0o600)
        XCTAssertFalse(r.stdout.contains(s3.secretAccessKey) || r.stderr.contains(s3.secretAccessKey))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("data/chunks/ff")), "no local chunk folders")
        XCTAssertEqual(try sqliteLines("SELECT json_extract(details, '$.store') FROM events WHERE action = 'init'"),
                       [try StoreLocationText.normalized(store)], "the ledger says where the chunks are")

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

    func checkVerifyNamesAChangedAndAMissingObject() throws {
        XCTAssertEqual(try initialize(s3.storeURL("plain", prefix: prefix)).status, 0)
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

    /// Killed while its chunks go up, an ingest leaves nothing catalogued: no exhibit names an object that is
    /// not there, verify passes, and the same file ingests afterwards.
    func checkKillDuringIngestLeavesNoReferencedPartialChunk() throws {
        XCTAssertEqual(try initialize(s3.storeURL("plain", prefix: prefix)).status, 0)
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

    /// A remote worker with no data directory, told the bucket by the primary, redacts from it and into it with
    /// its own key pair; the primary catalogues the clip and builds the bundle. With `defaultKeep` (days) the
    /// vault's default category keeps that long, and the clip's chunks, written by the worker, are locked for it.
    func checkRemoteWorkerOnTheBucket(defaultKeep: Int? = nil) throws {
        XCTAssertEqual(try initialize(s3.storeURL("locked", prefix: prefix, extra: "&lock=governance")).status, 0)
        if let defaultKeep {
            XCTAssertEqual(try custody(["category", "add", "non-evidential", "--keep", "\(defaultKeep)d"]).status, 0)
        }
        XCTAssertEqual(try custody(["ingest", TestPaths.fixture("bodycam-a.mp4"), "--device", "BW-1"]).status, 0)
        XCTAssertEqual(try custody(["case", "create", "CPS/1"]).status, 0)
        XCTAssertEqual(try custody(["case", "add", "CPS/1", "EX-000001"]).status, 0)
        XCTAssertEqual(try custody(["bundle", "create", "--case", "CPS/1", "--recipient", "clerk@court.example",
                                    "--exhibit", "EX-000001:" + TestPaths.fixture("redaction-spec.json")]).status, 0)
        let token = try custody(["worker", "add", "render-1"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let (daemon, port, log) = try serve(["--remote-redaction", "on"])
        defer { daemon.terminate(); daemon.waitUntilExit() }
        let scratch = dir.file("scratch")
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let credentials = dir.file("worker.credentials")
        FileManager.default.createFile(atPath: credentials, contents: Data(s3.credentialsText.utf8),
                                       attributes: [.posixPermissions: 0o600])
        let (worker, workerLog) = try startWorker(["--server", "http://127.0.0.1:\(port)", "--token", token,
                                                   "--credentials", credentials, "--scratch", scratch],
                                                  environment: [:])
        defer { worker.terminate(); worker.waitUntilExit() }
        eventually(timeout: 120) {
            (try? self.sqliteLines("SELECT state FROM bundles WHERE id = 'BN-000001'")) == ["done"]
        }
        XCTAssertEqual(try sqliteLines("SELECT actor_kind || ':' || actor FROM events WHERE action = 'redact' AND "
                                       + "json_extract(details, '$.parent_sha256') IS NOT NULL"), ["worker:render-1"],
                       workerLog.text + log.text)
        XCTAssertTrue(workerLog.text.contains("s3://"), workerLog.text)
        XCTAssertFalse(workerLog.text.contains(s3.secretAccessKey) || log.text.contains(s3.secretAccessKey))
        let chunks = Set(try sqliteLines("SELECT DISTINCT chunk FROM exhibit_chunks"))
        XCTAssertEqual(Set(try allNames(try bucket("locked")).map(\.hex)), chunks)
        let verified = try custody(["bundle", "verify", dir.file("data/bundles/BN-000001.zip")])
        XCTAssertEqual(verified.status, 0, verified.stdout + verified.stderr)
        guard let defaultKeep else { return }
        let clip = try sqliteLines("SELECT chunk FROM exhibit_chunks WHERE exhibit = 2 EXCEPT "
                                   + "SELECT chunk FROM exhibit_chunks WHERE exhibit = 1")
        XCTAssertFalse(clip.isEmpty)
        for chunk in clip {
            let digest = try XCTUnwrap(SHA256Digest(hex: chunk))
            let until = try XCTUnwrap(try bucket("locked").lockState(digest)?.retainUntil)
            XCTAssertEqual(until.timeIntervalSinceNow / 86_400, Double(defaultKeep), accuracy: 0.1,
                           "the worker locks the clip for the vault's default period")
        }
    }

    /// A dock's tuspy upload, a redaction and a court bundle built by the service, all on the bucket: the bundle
    /// verifies and the redaction's chunks are objects.
    func checkUploadRedactBundle() throws {
        XCTAssertEqual(try initialize(s3.storeURL("locked", prefix: prefix, extra: "&lock=governance")).status, 0)
        let token = try custody(["device", "add", "dock-1"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let (daemon, port, log) = try serve()
        defer { daemon.terminate(); daemon.waitUntilExit() }
        let script = """
            import sys
            from tusclient import client
            c = client.TusClient(f"http://127.0.0.1:{sys.argv[1]}/files/", headers={"Authorization": f"Bearer {sys.argv[2]}"})
            c.uploader(sys.argv[3], chunk_size=1 << 20, metadata={"filename": "a.mp4"}).upload()
            """
        let upload = try runProcess(TestPaths.python, ["-c", script, String(port), token, TestPaths.fixture("bodycam-a.mp4")])
        XCTAssertEqual(upload.status, 0, upload.stderr + log.text)
        eventually(timeout: 30) { (try? self.sqliteLines("SELECT count(*) FROM exhibits")) == ["1"] }
        XCTAssertEqual(try custody(["case", "create", "CPS/1"]).status, 0)
        XCTAssertEqual(try custody(["case", "add", "CPS/1", "EX-000001"]).status, 0)
        let created = try custody(["bundle", "create", "--case", "CPS/1", "--recipient", "clerk@court.example",
                                   "--exhibit", "EX-000001:" + TestPaths.fixture("redaction-spec.json")])
        XCTAssertEqual(created.status, 0, created.stderr)
        eventually(timeout: 120) {
            (try? self.sqliteLines("SELECT state FROM bundles WHERE id = 'BN-000001'")) == ["done"]
        }
        let zip = dir.file("data/bundles/BN-000001.zip")
        let verified = try custody(["bundle", "verify", zip])
        XCTAssertEqual(verified.status, 0, verified.stdout + verified.stderr)
        let chunks = Set(try sqliteLines("SELECT DISTINCT chunk FROM exhibit_chunks"))
        XCTAssertEqual(try sqliteLines("SELECT count(*) FROM exhibits"), ["2"], "the original and its redaction")
        XCTAssertEqual(Set(try allNames(try bucket("locked")).map(\.hex)), chunks)
        XCTAssertFalse(log.text.contains(s3.secretAccessKey))
    }
}

/// The same on moto's server (started by the tests, signatures checked), and what only a server the tests can
/// stop, or tamper with freely, can show.
final class S3StoreCLITests: S3CLITestCase {
    func testIngestRedactExportAndVerifyInALockedBucket() throws { try checkIngestRedactExportVerify(lock: "governance") }
    func testVerifyNamesAChangedAndAMissingObjectAndExportWritesNothing() throws {
        try checkVerifyNamesAChangedAndAMissingObject()
    }
    func testKillDuringIngestLeavesNoReferencedPartialChunk() throws {
        try checkKillDuringIngestLeavesNoReferencedPartialChunk()
    }
    func testAnUploadRedactionAndBundleEndToEnd() throws { try checkUploadRedactBundle() }
    func testARemoteWorkerRedactsFromAndIntoTheBucket() throws { try checkRemoteWorkerOnTheBucket() }
    func testARemoteWorkerLocksTheClipForTheVaultsDefaultPeriod() throws {
        try checkRemoteWorkerOnTheBucket(defaultKeep: 90)
    }

    /// A CA file's path with a space and `&`/`=` is kept encoded and read back whole; the primary tells its
    /// workers the bucket without it, and a worker's own `--ca-file` goes in its location instead.
    func testTheCAFileRoundTripsAndIsNotSentToWorkers() throws {
        let caFile = "/etc/force ca/a&b=1.pem"
        let r = try initialize(s3.storeURL("plain", prefix: prefix) + "&ca-file=%2Fetc%2Fforce%20ca%2Fa%26b%3D1.pem")
        XCTAssertEqual(r.status, 0, r.stderr)
        let stored = try XCTUnwrap(try sqliteLines("SELECT value FROM settings WHERE key = 'chunk_store'").first)
        XCTAssertTrue(stored.contains("&ca-file=/etc/force%20ca/a%26b%3D1.pem"), stored)
        XCTAssertEqual(try S3Location(url: stored).caFile, caFile)
        XCTAssertEqual(try custody(["ingest", TestPaths.fixture("bodycam-a.mp4"), "--device", "BW-1"]).status, 0,
                       "an http:// endpoint never loads the CA file")

        let token = try custody(["worker", "add", "render-1"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let (daemon, port, _) = try serve(["--remote-redaction", "on"])
        defer { daemon.terminate(); daemon.waitUntilExit() }
        let told = try runProcess(try XCTUnwrap(which("curl")), ["-s", "-H", "Authorization: Bearer \(token)",
                                                                 "http://127.0.0.1:\(port)/api/v1/worker/store"])
        let store = try XCTUnwrap(try json(told) as? [String: Any])["store"] as? String
        XCTAssertEqual(store, try S3Location(url: stored).withCAFile(nil).description, told.stdout)

        let (worker, workerLog) = try startWorker(["--server", "http://127.0.0.1:\(port)", "--token", token,
                                                   "--ca-file", "/opt/worker ca/ca.pem", "--scratch", dir.path],
                                                  environment: s3.environment)
        eventually(timeout: 30) { workerLog.text.contains("started") }
        worker.terminate()
        worker.waitUntilExit()
        XCTAssertTrue(workerLog.text.contains("ca-file=/opt/worker%20ca/ca.pem"), workerLog.text)
        XCTAssertFalse(workerLog.text.contains("force"), workerLog.text)
    }

    /// Ingesting the genuine file again writes the tampered object again and records the repair, as for files.
    func testIngestingAgainRepairsAChangedObjectAndRecordsIt() throws {
        XCTAssertEqual(try initialize(s3.storeURL("locked", prefix: prefix)).status, 0)
        let file = TestPaths.fixture("bodycam-a.mp4")
        XCTAssertEqual(try custody(["ingest", file, "--device", "BW-1", "--chunk-size", "65536"]).status, 0)
        let chunk = try XCTUnwrap(SHA256Digest(hex: try sqliteLines("SELECT chunk FROM exhibit_chunks ORDER BY idx")[2]))
        let locked = try bucket("locked")
        var request = S3Client.Request("PUT", key: chunk.hex, operation: "tampering")
        let other = [UInt8](repeating: 0x17, count: 4096)
        request.payloadHash = SHA256.hash(other).hex
        _ = try other.withUnsafeBytes { try locked.client.perform(request, body: $0) }
        XCTAssertNotEqual(try custody(["verify"]).status, 0)

        let again = try custody(["ingest", file, "--device", "BW-1", "--chunk-size", "65536", "--json"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains(chunk.hex), again.stdout)
        XCTAssertEqual(try sqliteLines("SELECT count(*) FROM events WHERE action = 'verify' AND outcome = 'failed' "
                                       + "AND details LIKE '%\(chunk.hex)%repaired%'"), ["1"])
        let verified = try custody(["verify"])
        XCTAssertEqual(verified.status, 0, verified.stdout + verified.stderr)
    }

    func testInitRefusesAnUnlockedBucketForALockAndWrongCredentialsWithoutSayingTheSecret() throws {
        let refused = try initialize(s3.storeURL("plain", prefix: prefix, extra: "&lock=compliance"))
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("does not have Object Lock enabled"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: data + "/custody.sqlite"), "nothing was made")

        let secret = "wrongSECRETvalue0123456789abcdefXYZ"
        let forged = try initialize(s3.storeURL("plain", prefix: prefix),
                                    environment: ["AWS_ACCESS_KEY_ID": s3.accessKeyID,
                                                  "AWS_SECRET_ACCESS_KEY": secret])
        XCTAssertNotEqual(forged.status, 0)
        XCTAssertTrue(forged.stderr.contains("SignatureDoesNotMatch") && forged.stderr.contains("refused access key"),
                      forged.stderr)
        XCTAssertFalse(forged.stdout.contains(secret) || forged.stderr.contains(secret))
        XCTAssertFalse(FileManager.default.fileExists(atPath: data + "/custody.sqlite"))

        let url = s3.storeURL("plain", prefix: prefix).replacingOccurrences(of: "s3://", with: "s3://key:pw@")
        let withCredentials = try initialize(url)
        XCTAssertEqual(withCredentials.status, 2, withCredentials.stderr)
        XCTAssertTrue(withCredentials.stderr.contains("must not carry credentials"), withCredentials.stderr)

        XCTAssertEqual(try initialize(s3.storeURL("plain", prefix: prefix)).status, 0)
        let other = try initialize(s3.storeURL("plain", prefix: prefix + "-other"))
        XCTAssertNotEqual(other.status, 0)
        XCTAssertTrue(other.stderr.contains("store migrate"), other.stderr)
    }

    /// A world-readable credentials file is refused, naming the file and never quoting it.
    func testACredentialsFileOthersMayReadIsRefused() throws {
        XCTAssertEqual(try initialize(s3.storeURL("plain", prefix: prefix)).status, 0)
        let saved = dir.file("data/keys/s3.credentials")
        chmod(saved, 0o644)
        let r = try custody(["ingest", TestPaths.fixture("bodycam-a.mp4"), "--device", "BW-1"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("chmod 600"), r.stderr)
        XCTAssertFalse(r.stderr.contains(s3.secretAccessKey))
        let doctor = try custody(["doctor"])
        XCTAssertEqual(doctor.status, 1, doctor.stdout)
        XCTAssertTrue(doctor.stdout.contains("chunk store") && doctor.stdout.contains("chmod 600"), doctor.stdout)
        chmod(saved, 0o600)
        XCTAssertEqual(try custody(["ingest", TestPaths.fixture("bodycam-a.mp4"), "--device", "BW-1"]).status, 0)
        let healthy = try custody(["doctor"])
        XCTAssertTrue(healthy.stdout.contains("answers; no Object Lock"), healthy.stdout)
        XCTAssertFalse(healthy.stdout.contains(s3.secretAccessKey))
    }

    /// A dock's tuspy upload is acknowledged once its chunks are objects; the service found its credentials in
    /// the vault's file.
    func testATuspyUploadCompletesIntoTheBucket() throws {
        XCTAssertEqual(try initialize(s3.storeURL("locked", prefix: prefix, extra: "&lock=governance")).status, 0)
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
        XCTAssertFalse(log.text.contains(s3.secretAccessKey))
    }

    /// With the store unreachable the catalog and ledger still answer; an ingest fails saying so, catalogues
    /// nothing and exits non-zero.
    func testAnUnreachableStoreFailsIngestOnlyAndSaysSo() throws {
        let own = try MotoServer()
        XCTAssertEqual(try initialize(own.storeURL("plain", prefix: prefix), environment: own.environment).status, 0)
        XCTAssertEqual(try custody(["ingest", TestPaths.fixture("bodycam-a.mp4"), "--device", "BW-1"]).status, 0)
        own.stop()
        XCTAssertEqual(try custody(["list"]).status, 0)
        XCTAssertEqual(try custody(["ledger", "verify"]).status, 0)
        let failed = try custody(["ingest", TestPaths.fixture("bodycam-b.mp4"), "--device", "BW-1"])
        XCTAssertNotEqual(failed.status, 0)
        XCTAssertTrue(failed.stderr.contains("cannot be reached"), failed.stderr)
        XCTAssertEqual(try sqliteLines("SELECT count(*) FROM exhibits"), ["1"])
        let doctor = try custody(["doctor"])
        XCTAssertEqual(doctor.status, 1)
        XCTAssertTrue(doctor.stdout.contains("chunk store"), doctor.stdout)
    }

    /// A dock's upload whose chunks cannot be stored is not acknowledged: its last PATCH fails, HEAD gives no
    /// `Custody-Exhibit`, its pieces stay; with the store back (new keys in the vault's file) the next start
    /// finishes it into the bucket.
    func testAnUploadFinishedWhileTheStoreIsDownIsCompletedOnceItIsBack() throws {
        let first = try MotoServer()
        let port = first.started.port
        XCTAssertEqual(try initialize(first.storeURL("plain", prefix: prefix), environment: first.environment).status, 0)
        let token = try custody(["device", "add", "dock-1"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        var (daemon, servePort, log) = try serve()
        first.stop()
        let recording = TestPaths.fixture("bodycam-a.mp4")
        let script = """
            import sys
            from tusclient import client
            c = client.TusClient(f"http://127.0.0.1:{sys.argv[1]}/files/", headers={"Authorization": f"Bearer {sys.argv[2]}"})
            u = c.uploader(sys.argv[3], chunk_size=1 << 20, metadata={"filename": "a.mp4"})
            u.upload()
            """
        let upload = try runProcess(TestPaths.python, ["-c", script, String(servePort), token, recording])
        XCTAssertNotEqual(upload.status, 0, "the last PATCH must fail")
        XCTAssertEqual(try sqliteLines("SELECT count(*) FROM exhibits"), ["0"])
        let id = try XCTUnwrap(try sqliteLines("SELECT id FROM uploads").first)
        let head = try runProcess(try XCTUnwrap(which("curl")), ["-sI", "-H", "Tus-Resumable: 1.0.0", "-H",
                                                                  "Authorization: Bearer \(token)",
                                                                  "http://127.0.0.1:\(servePort)/files/\(id)"])
        XCTAssertTrue(head.stdout.contains("200"), head.stdout)
        XCTAssertFalse(head.stdout.lowercased().contains("custody-exhibit"), head.stdout)
        XCTAssertFalse(log.text.contains(first.started.secretAccessKey))
        daemon.terminate()
        daemon.waitUntilExit()

        let second = try MotoServer(port: port)
        try Data(second.credentialsText.utf8).write(to: URL(fileURLWithPath: dir.file("data/keys/s3.credentials")))
        (daemon, servePort, log) = try serve()
        defer { daemon.terminate(); daemon.waitUntilExit() }
        eventually(timeout: 30) { (try? self.sqliteLines("SELECT count(*) FROM exhibits")) == ["1"] }
        let out = dir.file("out.mp4")
        XCTAssertEqual(try custody(["export", "EX-000001", "--out", out, "--reason", "court"]).status, 0)
        XCTAssertEqual(FileManager.default.contents(atPath: out), FileManager.default.contents(atPath: recording))
        withExtendedLifetime(second) {}
    }
}

/// The same end to end on a real distributed engine: a one-node Ceph RGW (`Scripts/ceph-rgw`, named by
/// `CUSTODY_RGW_ENV`; skipped without one), which also checks each PUT's payload hash, in COMPLIANCE mode.
final class RGWStoreCLITests: S3CLITestCase {
    override class func makeEndpoint() throws -> any S3Endpoint { try RGWEndpoint.fromEnvironment() }

    func testIngestRedactExportAndVerifyInAComplianceLockedBucket() throws {
        try checkIngestRedactExportVerify(lock: "compliance")
    }
    func testVerifyNamesAChangedAndAMissingObjectAndExportWritesNothing() throws {
        try checkVerifyNamesAChangedAndAMissingObject()
    }
    func testKillDuringIngestLeavesNoReferencedPartialChunk() throws {
        try checkKillDuringIngestLeavesNoReferencedPartialChunk()
    }
    func testAnUploadRedactionAndBundleEndToEnd() throws { try checkUploadRedactBundle() }
    func testARemoteWorkerRedactsFromAndIntoTheBucket() throws { try checkRemoteWorkerOnTheBucket() }
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
