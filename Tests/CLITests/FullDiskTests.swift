import Foundation
import TestSupport
import XCTest

/// A vault on a tiny tmpfs: filling the disk mid-ingest gives a clear error and changes nothing stored.
final class FullDiskTests: XCTestCase {
    func testIngestOnAFullDiskFailsCleanlyAndKeepsEarlierExhibits() throws {
        guard getuid() == 0, let mount = which("mount"), let umount = which("umount") else {
            throw XCTSkip("needs root to mount a small tmpfs")
        }
        let dir = TemporaryDirectory("custody-full")
        let mountPoint = dir.file("small")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        guard try runProcess(mount, ["-t", "tmpfs", "-o", "size=3m", "tmpfs", mountPoint]).status == 0 else {
            throw XCTSkip("mounting a tmpfs is not permitted here")
        }
        defer { _ = try? runProcess(umount, [mountPoint]) }
        let data = mountPoint + "/data"
        func custody(_ args: [String]) throws -> ProcessResult {
            try runProcess(TestPaths.custodyBinary, args + ["--data", data], environment: ["CUSTODY_ACTOR": "PC-1"])
        }
        XCTAssertEqual(try custody(["init"]).status, 0)
        let small = try custody(["ingest", TestPaths.fixture("bodycam-a.mp4"), "--device", "D1"])
        XCTAssertEqual(small.status, 0, small.stderr)

        let big = dir.file("big.bin")
        let bytes = Data((0..<(6 << 20)).map { UInt8(truncatingIfNeeded: $0 * 7 + $0 >> 13) })
        XCTAssertTrue(FileManager.default.createFile(atPath: big, contents: bytes))
        // A full disk stops the run after the file it hit; --json still says what was stored and what not.
        let full = try custody(["ingest", TestPaths.fixture("bodycam-b.mp4"), big, TestPaths.fixture("truncated.mp4"),
                                "--device", "D1", "--json"])
        XCTAssertEqual(full.status, 3, full.stderr)
        XCTAssertTrue(full.stderr.contains("disk is full"), full.stderr)
        let results = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(full.stdout.utf8)) as? [[String: Any]],
                                    full.stdout)
        XCTAssertEqual(results.map { $0["id"] as? String }, ["EX-000002", nil], "not tried after the full disk")
        XCTAssertTrue((results.last?["error"] as? String)?.contains("disk is full") ?? false, "\(results)")

        let list = try custody(["list", "--json"])
        let exhibits = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(exhibits.count, 2)
        XCTAssertEqual(try custody(["verify"]).status, 0)
        let out = dir.file("back.mp4")
        XCTAssertEqual(try custody(["export", "EX-000001", "--out", out, "--reason", "check"]).status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)),
                       try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("bodycam-a.mp4"))))

        // Not a byte left: even reading says why it fails.
        let filler = mountPoint + "/filler"
        _ = try runProcess("/bin/dd", ["if=/dev/zero", "of=\(filler)", "bs=64k"])
        let blocked = try custody(["list"])
        XCTAssertEqual(blocked.status, 3)
        XCTAssertTrue(blocked.stderr.contains("disk holding it is full"), blocked.stderr)
        XCTAssertEqual(unlink(filler), 0)
        XCTAssertEqual(try custody(["verify"]).status, 0, "nothing stored was harmed")
    }
}

/// `custody serve` with its vault on a tiny tmpfs: an upload that fills the disk gets 507, keeps
/// nothing of the request, and resumes once there is room; what was stored before is untouched.
final class FullDiskUploadTests: CLITestCase {
    private var mount: TemporaryDirectory!
    private var umount: String?
    override var data: String { mount.file("small/data") }

    override func setUpWithError() throws {
        guard getuid() == 0, let mountTool = which("mount"), let umount = which("umount") else {
            throw XCTSkip("needs root to mount a small tmpfs")
        }
        mount = TemporaryDirectory("custody-full-upload")
        try FileManager.default.createDirectory(atPath: mount.file("small"), withIntermediateDirectories: true)
        guard try runProcess(mountTool, ["-t", "tmpfs", "-o", "size=12m", "tmpfs", mount.file("small")]).status == 0 else {
            throw XCTSkip("mounting a tmpfs is not permitted here")
        }
        self.umount = umount
        try super.setUpWithError()
    }

    override func tearDownWithError() throws {
        if let umount { _ = try runProcess(umount, [mount.file("small")]) }
        mount?.remove()
    }

    func testAnUploadThatFillsTheDiskGets507AndResumesWhenThereIsRoom() throws {
        let token = try custody(["device", "add", "dock-1"], actor: "PC-1").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let (process, port, _) = try serve()
        defer { if process.isRunning { process.terminate() } }
        let curl = try XCTUnwrap(which("curl"))
        let base = "http://127.0.0.1:\(port)/files/"
        let auth = ["-H", "Tus-Resumable: 1.0.0", "-H", "Authorization: Bearer \(token)"]
        func create(_ length: Int) throws -> String {
            let r = try runProcess(curl, ["-s", "-i", "-X", "POST", base, "-H", "Upload-Length: \(length)"] + auth)
            let location = r.stdout.split(separator: "\r\n").first { $0.lowercased().hasPrefix("location:") }
            return String(try XCTUnwrap(location, r.stdout).dropFirst("location:".count)).trimmingCharacters(in: .whitespaces)
        }
        func patch(_ url: String, _ file: String, offset: Int = 0) throws -> ProcessResult {
            try runProcess(curl, ["-s", "-w", "\n%{http_code}", "-X", "PATCH", url, "--data-binary", "@" + file,
                                  "-H", "Upload-Offset: \(offset)", "-H", "Content-Type: application/offset+octet-stream",
                                  "-H", "Expect:"] + auth)
        }

        // A recording stored before the disk fills.
        let first = TestPaths.fixture("bodycam-a.mp4")
        let firstSize = Int(try FileManager.default.attributesOfItem(atPath: first)[.size] as! UInt64)
        XCTAssertTrue(try patch(try create(firstSize), first).stdout.hasSuffix("\n204"))

        // Fill the disk to within 2 MiB, then send a 4 MiB recording.
        let free = try XCTUnwrap(try FileManager.default.attributesOfFileSystem(forPath: data)[.systemFreeSize] as? Int)
        let filler = mount.file("small/filler")
        XCTAssertTrue(FileManager.default.createFile(atPath: filler, contents: Data(count: max(0, free - (2 << 20)))))
        let recording = dir.file("rec.bin")
        let bytes = Data((0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 >> 7) })
        XCTAssertTrue(FileManager.default.createFile(atPath: recording, contents: bytes))
        let url = try create(4 << 20)
        let full = try patch(url, recording)
        XCTAssertTrue(full.stdout.hasSuffix("\n507"), full.stdout + full.stderr)
        XCTAssertTrue(full.stdout.contains("disk is full"), full.stdout)
        let head = try runProcess(curl, ["-s", "-I", url] + auth)
        XCTAssertTrue(head.stdout.contains("Upload-Offset: 0\r\n"), "nothing of the request kept: \(head.stdout)")

        // Room again: the dock retries and the recording arrives whole.
        try FileManager.default.removeItem(atPath: filler)
        XCTAssertTrue(try patch(url, recording).stdout.hasSuffix("\n204"))
        let list = try XCTUnwrap(try json(try custody(["list", "--json"])) as? [[String: Any]])
        XCTAssertEqual(list.count, 2)
        let sha = try runProcess(try XCTUnwrap(which("sha256sum")), [recording]).stdout.prefix(64)
        XCTAssertEqual(list.last?["sha256"] as? String, String(sha))
        XCTAssertEqual(try custody(["verify"], actor: "PC-1").status, 0)
        let back = dir.file("back.mp4")
        XCTAssertEqual(try custody(["export", "EX-000001", "--out", back, "--reason", "check"], actor: "PC-1").status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: back)), try Data(contentsOf: URL(fileURLWithPath: first)))
        process.terminate()
        process.waitUntilExit()
    }
}
