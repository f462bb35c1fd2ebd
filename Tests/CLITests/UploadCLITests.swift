import Foundation
import TestSupport
import XCTest

/// Real docks: tuspy (PyPI) against `custody serve`, killed with SIGKILL mid-upload and restarted.
final class UploadCLITests: CLITestCase {
    static let client = """
        import json, sys, threading
        from tusclient import client
        port, token, mode, state = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
        files = sys.argv[5:]
        c = client.TusClient(f"http://127.0.0.1:{port}/files/", headers={"Authorization": f"Bearer {token}"})
        if mode == "start":
            urls = {}
            uploaders = []
            for i, f in enumerate(files):
                u = c.uploader(f, chunk_size=256 * 1024, metadata={"filename": f.split("/")[-1],
                               "device": "BW2-%06d" % i, "officer": "PC-4471"})
                u.upload_chunk()
                urls[f] = u.url
                uploaders.append(u)
            json.dump(urls, open(state, "w"))
            def rest(u):
                try:
                    u.upload()
                except Exception:
                    pass  # the daemon was killed under us
            threads = [threading.Thread(target=rest, args=(u,)) for u in uploaders]
            for t in threads: t.start()
            for t in threads: t.join()
        else:
            urls = json.load(open(state))
            for f in files:
                u = c.uploader(f, chunk_size=256 * 1024, url=urls[f])
                print(f, "resumes at", u.offset, file=sys.stderr)
                u.upload()
                assert u.offset == u.get_file_stream().seek(0, 2), "not all bytes sent"
        """

    func testTuspyUploadsSurviveADaemonKilledMidUpload() throws {
        let token = try custody(["device", "add", "dock-7"], actor: "PC-1").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(token.hasPrefix("cdt_"))
        var files = [String]()
        for (i, mib) in [12, 16].enumerated() {
            let path = dir.file("recording-\(i).mp4")
            try makeLargeFile(path, mebibytes: mib)
            files.append(path)
        }
        files.append(TestPaths.fixture("bodycam-a.mp4"))  // one chunk: done before the kill
        let state = dir.file("urls.json")
        var (daemon, port, _) = try serve()
        let uploader = Process()
        uploader.executableURL = URL(fileURLWithPath: TestPaths.python)
        uploader.arguments = ["-c", Self.client, String(port), token, "start", state] + files
        uploader.standardError = FileHandle.nullDevice
        try uploader.run()
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: state) && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        Thread.sleep(forTimeInterval: 0.05)  // uploads in flight: each 256 KiB PATCH is fsynced
        kill(daemon.processIdentifier, SIGKILL)
        daemon.waitUntilExit()
        uploader.waitUntilExit()

        // What HEAD will report is never ahead of what is on disk.
        let sqlite = try XCTUnwrap(which("sqlite3"))
        let rows = try runProcess(sqlite, [dir.file("data/custody.sqlite"), "SELECT id, offset, length FROM uploads"])
        XCTAssertEqual(rows.stdout.split(separator: "\n").count, 3, rows.stdout + rows.stderr)
        var resumedBelowTheEnd = 0
        for row in rows.stdout.split(separator: "\n") {
            let f = row.split(separator: "|")
            let pieces = dir.file("data/uploads/\(f[0])")
            let names = (try? FileManager.default.contentsOfDirectory(atPath: pieces)) ?? []
            let onDisk = names.isEmpty ? Int(f[2])! : try names.reduce(0) {  // none left: it was completed
                $0 + (try FileManager.default.attributesOfItem(atPath: pieces + "/" + $1)[.size] as! Int)
            }
            XCTAssertLessThanOrEqual(Int(f[1])!, onDisk, "offset \(f[1]) is ahead of the \(onDisk) bytes on disk")
            if Int(f[1])! < Int(f[2])! { resumedBelowTheEnd += 1 }
        }
        XCTAssertGreaterThan(resumedBelowTheEnd, 0, "the kill came too late to interrupt anything")

        (daemon, port, _) = try serve(port: port)
        defer { daemon.terminate(); daemon.waitUntilExit() }
        let resume = try runProcess(TestPaths.python, ["-c", Self.client, String(port), token, "resume", state] + files)
        XCTAssertEqual(resume.status, 0, resume.stderr)

        // An upload the kill left fully received but not ingested is ingested in the background after
        // the restart: its HEAD may have come first.
        var list = [[String: Any]]()
        let settled = Date().addingTimeInterval(30)
        repeat {
            list = try XCTUnwrap(json(try custody(["list", "--json"])) as? [[String: Any]])
            if list.count < files.count { Thread.sleep(forTimeInterval: 0.1) }
        } while list.count < files.count && Date() < settled
        let sums = try runProcess(try XCTUnwrap(which("sha256sum")), files).stdout
        XCTAssertEqual(list.count, files.count)
        for entry in list {
            let sha = try XCTUnwrap(entry["sha256"] as? String)
            XCTAssertTrue(sums.contains(sha), "\(entry["filename"] ?? "?") arrived damaged")
            XCTAssertEqual(entry["officer"] as? String, "PC-4471")
        }
        XCTAssertEqual(try custody(["verify"], actor: "PC-1").status, 0)
        XCTAssertEqual(try custody(["ledger", "verify"]).status, 0)
    }
}
