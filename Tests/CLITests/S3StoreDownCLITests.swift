import Foundation
import TestSupport
import XCTest

/// `custody serve` with its S3 store down at start, and with a bucket that answers and refuses.
final class S3StoreDownAtStartCLITests: S3CLITestCase {
    let tusScript = """
        import sys
        from tusclient import client
        c = client.TusClient(f"http://127.0.0.1:{sys.argv[1]}/files/", headers={"Authorization": f"Bearer {sys.argv[2]}"})
        c.uploader(sys.argv[3], chunk_size=1 << 20, metadata={"filename": "a.mp4"}).upload()
        """

    func health(_ port: Int) throws -> [String: Any] {
        let r = try runProcess(try XCTUnwrap(which("curl")), ["-s", "http://127.0.0.1:\(port)/healthz"])
        return try XCTUnwrap(try json(r) as? [String: Any])
    }

    /// Started while the store cannot be reached, it serves, says so in its log and /healthz, stages a dock's
    /// upload, and completes it into the bucket once the store answers, without a restart.
    func testServeStartsWithTheStoreDownAndCompletesAStagedUploadOnceItIsBack() throws {
        let first = try MotoServer()
        let motoPort = first.started.port
        let initialized = try initialize(first.storeURL("plain", prefix: prefix), environment: first.environment)
        XCTAssertEqual(initialized.status, 0, initialized.stderr)
        let token = try custody(["device", "add", "dock-1"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        first.stop()

        let (daemon, port, log) = try serve()
        defer { daemon.terminate(); daemon.waitUntilExit() }
        XCTAssertTrue(log.text.contains("the chunk store cannot be reached: serving anyway"), log.text)
        XCTAssertEqual(try health(port)["store"] as? String, "unreachable")
        let doctor = try custody(["doctor"])
        XCTAssertEqual(doctor.status, 1, doctor.stdout)
        XCTAssertTrue(doctor.stdout.contains("chunk store"), doctor.stdout)

        let recording = TestPaths.fixture("bodycam-a.mp4")
        let upload = try runProcess(TestPaths.python, ["-c", tusScript, String(port), token, recording])
        XCTAssertNotEqual(upload.status, 0, "the last PATCH is not acknowledged while the store is down")
        XCTAssertEqual(try sqliteLines("SELECT count(*) FROM uploads"), ["1"], "the upload is staged")
        XCTAssertEqual(try sqliteLines("SELECT count(*) FROM exhibits"), ["0"])

        let second = try MotoServer(port: motoPort)
        try Data(second.credentialsText.utf8).write(to: URL(fileURLWithPath: dir.file("data/keys/s3.credentials")))
        eventually(timeout: 60) { (try? self.sqliteLines("SELECT count(*) FROM exhibits")) == ["1"] }
        XCTAssertTrue(log.text.contains("the chunk store answers again"), log.text)
        XCTAssertNil(try health(port)["store"], "healthy again")
        let out = dir.file("out.mp4")
        XCTAssertEqual(try custody(["export", "EX-000001", "--out", out, "--reason", "court"]).status, 0)
        XCTAssertEqual(FileManager.default.contents(atPath: out), FileManager.default.contents(atPath: recording))
        XCTAssertFalse(log.text.contains(second.started.secretAccessKey))
        withExtendedLifetime(second) {}
    }

    /// A bucket that answers and refuses (wrong key pair, no such bucket) stops it from starting, saying why.
    func testServeRefusesToStartOnABucketThatAnswersAndRefuses() throws {
        XCTAssertEqual(try initialize(moto.storeURL("plain", prefix: prefix)).status, 0)
        let saved = dir.file("data/keys/s3.credentials")
        try Data("AWS_ACCESS_KEY_ID=\(moto.accessKeyID)\nAWS_SECRET_ACCESS_KEY=wrongSECRET0123456789\n".utf8)
            .write(to: URL(fileURLWithPath: saved))
        let refused = try custody(["serve", "--check-config"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("refused access key"), refused.stderr)

        try Data(moto.credentialsText.utf8).write(to: URL(fileURLWithPath: saved))
        XCTAssertEqual(try custody(["serve", "--check-config"]).status, 0)
        let gone = moto.storeURL("plain", prefix: prefix).replacingOccurrences(of: "s3://\(moto.bucketName("plain"))",
                                                                               with: "s3://no-such-bucket-here")
        XCTAssertEqual(try sqliteLines("UPDATE settings SET value = '\(gone)' WHERE key = 'chunk_store'"), [])
        let noBucket = try custody(["serve", "--check-config"])
        XCTAssertNotEqual(noBucket.status, 0)
        XCTAssertTrue(noBucket.stderr.contains("NoSuchBucket") && noBucket.stderr.contains("cannot be used"),
                      noBucket.stderr)
    }
}
