import Crypto
import CustodyCore
import Foundation
import ObjectStore
import Storage
import TestSupport
import XCTest

/// A dock's upload into a bucket stores each piece once it is sealed (full and durable on disk) while the rest
/// arrives, so that its completion sends only the last: the pieces are objects before the upload completes, their
/// files stay until it does, a kill -9 in between is resumed and completes, and a store down while the PATCHes
/// arrive fails none of them (its failed PUTs are logged).
final class S3EarlyUploadCLITests: S3CLITestCase {
    /// A tuspy upload of argv[3] to the service on port argv[1] with token argv[2], up to byte argv[4] (0: to the
    /// end), resuming argv[5] when given; prints the upload's URL.
    static let tus = """
        import sys
        from tusclient import client
        c = client.TusClient(f"http://127.0.0.1:{sys.argv[1]}/files/", headers={"Authorization": f"Bearer {sys.argv[2]}"})
        url = sys.argv[5] if len(sys.argv) > 5 else None
        u = c.uploader(sys.argv[3], url=url, chunk_size=1 << 20, metadata={"filename": "recording.mp4"})
        u.upload(stop_at=int(sys.argv[4]) or None)
        print(u.url)
        """

    /// Uploads `file` up to `stopAt` bytes (nil: all of it), resuming `id` when given; returns the upload's ID.
    func tus(port: Int, token: String, _ recording: String, stopAt: Int? = nil, resuming id: String? = nil,
             file: StaticString = #filePath, line: UInt = #line) throws -> String {
        var arguments = ["-c", Self.tus, String(port), token, recording, String(stopAt ?? 0)]
        if let id { arguments.append("http://127.0.0.1:\(port)/files/\(id)") }
        let r = try runProcess(TestPaths.python, arguments)
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        return String(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "/").last ?? "")
    }

    /// A vault on `store` with dock `dock-1` (its token returned) and a recording of `mebibytes` MiB to upload.
    func vaultWithRecording(_ store: String, mebibytes: Int = 10, environment: [String: String]? = nil) throws
        -> (token: String, recording: String) {
        XCTAssertEqual(try initialize(store, environment: environment).status, 0)
        let token = try custody(["device", "add", "dock-1"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let recording = dir.file("recording.mp4")
        try makeLargeFile(recording, mebibytes: mebibytes)
        return (token, recording)
    }

    /// A service on a vault in the plain bucket, and a 10 MiB recording uploaded to 9 MiB: returned once its two
    /// whole pieces (`sealed`, sorted) are the bucket's objects. The caller stops the service.
    func uploadStoppedOnceItsPiecesAreStored() throws
        -> (daemon: Process, port: Int, token: String, recording: String, id: String, sealed: [String]) {
        let (token, recording) = try vaultWithRecording(s3.storeURL("plain", prefix: prefix))
        let (daemon, port, _) = try serve()
        let id: String, sealed: [String]
        do {
            id = try tus(port: port, token: token, recording, stopAt: 9 << 20)
            sealed = try wholePieces(recording).sorted()
        } catch {
            daemon.terminate()
            daemon.waitUntilExit()
            throw error
        }
        eventually(timeout: 30) { (try? self.allNames(try self.bucket("plain")).map(\.hex)) == sealed }
        return (daemon, port, token, recording, id, sealed)
    }

    /// The SHA-256 of each whole 4 MiB piece of `file` (the last, short one left out).
    func wholePieces(_ file: String) throws -> [String] {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        let size = ChunkSize.standard
        return stride(from: 0, to: bytes.count - size + 1, by: size).map { start in
            bytes[start..<start + size].withUnsafeBytes { SHA256.hash($0).hex }
        }
    }

    /// The piece files left in the upload's folder.
    func pieceFiles(_ id: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.file("data/uploads/\(id)"))) ?? []).sorted()
    }

    /// Completed: one exhibit whose chunks are exactly the bucket's objects, no piece file left, and the
    /// export is the recording.
    func checkCompleted(_ recording: String, bucket name: String, upload id: String) throws {
        eventually(timeout: 30) { (try? self.sqliteLines("SELECT count(*) FROM exhibits")) == ["1"] }
        XCTAssertEqual(try sqliteLines("SELECT state FROM uploads WHERE id = '\(id)'"), ["completed"])
        let chunks = Set(try sqliteLines("SELECT DISTINCT chunk FROM exhibit_chunks"))
        XCTAssertEqual(Set(try allNames(try bucket(name)).map(\.hex)), chunks)
        XCTAssertEqual(pieceFiles(id), [], "no piece file is left once the chunks are objects")
        let out = dir.file("out.mp4")
        XCTAssertEqual(try custody(["export", "EX-000001", "--out", out, "--reason", "court"]).status, 0)
        XCTAssertEqual(FileManager.default.contents(atPath: out), FileManager.default.contents(atPath: recording))
    }

    /// 9 of 10 MiB sent: the two sealed pieces are objects, locked as any chunk, while nothing is catalogued and
    /// their files are still there; the rest completes the upload.
    func testSealedPiecesAreInTheBucketBeforeTheUploadCompletes() throws {
        let locked = s3.storeURL("locked", prefix: prefix, extra: "&lock=governance")
        let (token, recording) = try vaultWithRecording(locked)
        let (daemon, port, log) = try serve()
        defer { daemon.terminate(); daemon.waitUntilExit() }
        let id = try tus(port: port, token: token, recording, stopAt: 9 << 20)
        let sealed = try wholePieces(recording)
        XCTAssertEqual(sealed.count, 2)
        eventually(timeout: 30) { (try? self.allNames(try self.bucket("locked")).map(\.hex)) == sealed.sorted() }
        XCTAssertEqual(try sqliteLines("SELECT count(*) FROM exhibits"), ["0"])
        XCTAssertEqual(try sqliteLines("SELECT offset FROM uploads WHERE id = '\(id)'"), [String(9 << 20)])
        XCTAssertEqual(pieceFiles(id), ["p000000", "p000001", "p000002"], "files go only at the completion")
        for name in sealed {
            let state = try XCTUnwrap(try bucket("locked").lockState(try XCTUnwrap(SHA256Digest(hex: name))))
            XCTAssertGreaterThan(try XCTUnwrap(state.retainUntil), Date().addingTimeInterval(86_400),
                                 "a piece stored early is locked as any chunk")
        }
        _ = try tus(port: port, token: token, recording, resuming: id)
        try checkCompleted(recording, bucket: "locked", upload: id)
        XCTAssertFalse(log.text.contains(s3.secretAccessKey))
    }

    /// `store gc` leaves alone the pieces an upload under way has stored, old as they may be: no exhibit names
    /// them yet, but its completion takes them as stored.
    func testGCKeepsThePiecesOfAnUploadUnderWay() throws {
        let (daemon, port, token, recording, id, sealed) = try uploadStoppedOnceItsPiecesAreStored()
        defer { daemon.terminate(); daemon.waitUntilExit() }
        Thread.sleep(forTimeInterval: 2.1)  // LastModified is in whole seconds: then they are older than 0 s
        let gc = try XCTUnwrap(try json(try custody(["store", "gc", "--older-than", "0s", "--json"])) as? [String: Any])
        XCTAssertEqual(gc["listed"] as? Int, 2)
        XCTAssertEqual(gc["deleted"] as? [String], [])
        XCTAssertEqual(try allNames(try bucket("plain")).map(\.hex), sealed)
        _ = try tus(port: port, token: token, recording, resuming: id)
        try checkCompleted(recording, bucket: "plain", upload: id)
    }

    /// kill -9 right after 9 MiB arrived (its pieces being stored meanwhile): the restarted service resumes the
    /// upload from HEAD, and its completion finds the pieces stored before the kill (in a plain bucket: by the
    /// If-None-Match refusal and a read back) and stores the rest.
    func testKillMidUploadThenResumeCompletes() throws {
        let (token, recording) = try vaultWithRecording(s3.storeURL("plain", prefix: prefix), mebibytes: 14)
        var (daemon, port, _) = try serve()
        let id = try tus(port: port, token: token, recording, stopAt: 9 << 20)
        kill(daemon.processIdentifier, SIGKILL)
        daemon.waitUntilExit()
        XCTAssertEqual(try sqliteLines("SELECT offset FROM uploads WHERE id = '\(id)'"), [String(9 << 20)])
        (daemon, port, _) = try serve()
        defer { daemon.terminate(); daemon.waitUntilExit() }
        _ = try tus(port: port, token: token, recording, resuming: id)
        try checkCompleted(recording, bucket: "plain", upload: id)
    }

    /// The store stops before the dock sends anything: every PATCH of 9 MiB still succeeds and the offset is
    /// durable; with the store back (new keys in the vault's file) and the service restarted, the rest completes
    /// the upload and its completion stores every piece.
    func testAStoreDownWhilePatchesArriveFailsNoneOfThem() throws {
        let first = try MotoServer()
        let (token, recording) = try vaultWithRecording(first.storeURL("plain", prefix: prefix),
                                                        environment: first.environment)
        var (daemon, port, log) = try serve()
        first.stop()
        let started = Date()
        let id = try tus(port: port, token: token, recording, stopAt: 9 << 20)
        XCTAssertLessThan(Date().timeIntervalSince(started), 20, "no PATCH waits for the store's retries")
        XCTAssertEqual(try sqliteLines("SELECT offset FROM uploads WHERE id = '\(id)'"), [String(9 << 20)])
        XCTAssertEqual(pieceFiles(id), ["p000000", "p000001", "p000002"])
        eventually(timeout: 30) { log.text.contains("an early PUT failed") }  // logged, not dropped silently
        XCTAssertFalse(log.text.contains(first.secretAccessKey))
        daemon.terminate()
        daemon.waitUntilExit()

        let second = try MotoServer(port: first.started.port)
        try Data(second.credentialsText.utf8).write(to: URL(fileURLWithPath: dir.file("data/keys/s3.credentials")))
        (daemon, port, _) = try serve()
        defer { daemon.terminate(); daemon.waitUntilExit() }
        _ = try tus(port: port, token: token, recording, resuming: id)
        eventually(timeout: 30) { (try? self.sqliteLines("SELECT count(*) FROM exhibits")) == ["1"] }
        let chunks = Set(try sqliteLines("SELECT DISTINCT chunk FROM exhibit_chunks"))
        XCTAssertEqual(chunks.count, 3)
        XCTAssertEqual(Set(try allNames(try bucket("plain", on: second)).map(\.hex)), chunks)
        XCTAssertEqual(pieceFiles(id), [])
        let out = dir.file("out.mp4")
        XCTAssertEqual(try custody(["export", "EX-000001", "--out", out, "--reason", "court"]).status, 0)
        XCTAssertEqual(FileManager.default.contents(atPath: out), FileManager.default.contents(atPath: recording))
    }
}
