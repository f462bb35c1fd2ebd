#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import TestSupport
import XCTest

/// A dock that sends a recording as one PATCH, and a daemon killed (SIGKILL) while it arrives.
final class UploadCrashCLITests: CLITestCase {
    /// `curl -i` with the tus headers; returns the status and the headers, names lower-cased.
    func tus(_ port: Int, _ token: String, _ args: [String]) throws -> (status: Int, headers: [String: String]) {
        let r = try runProcess(try XCTUnwrap(which("curl")), ["-s", "-i", "--max-time", "120", "-H", "Expect:",
                                                              "-H", "Tus-Resumable: 1.0.0",
                                                              "-H", "Authorization: Bearer \(token)"] + args)
        let lines = r.stdout.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n")
        var headers = [String: String]()
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0, headers)
    }

    func offset(_ port: Int, _ token: String, _ id: String) throws -> Int {
        Int(try tus(port, token, ["-I", "http://127.0.0.1:\(port)/files/\(id)"]).headers["upload-offset"] ?? "") ?? -1
    }

    func testADaemonKilledMidPATCHKeepsWhatWasDurableAndTheDockResumesFromThere() throws {
        let token = try custody(["device", "add", "dock-9"], actor: "PC-1").stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let recording = dir.file("recording.mov")
        try makeLargeFile(recording, mebibytes: 80)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: recording)))
        var (daemon, port, _) = try serve()
        let created = try tus(port, token, ["-X", "POST", "-H", "Upload-Length: \(bytes.count)",
                                            "http://127.0.0.1:\(port)/files/"])
        XCTAssertEqual(created.status, 201)
        let id = String(try XCTUnwrap(created.headers["location"]).suffix(32))

        // One PATCH for the whole recording, sent slowly, until HEAD shows the offset moved while the
        // request is still open; then the daemon is killed.
        let raw = try RawClient(port: UInt16(port))
        raw.send("PATCH /files/\(id) HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\n"
                 + "Authorization: Bearer \(token)\r\nUpload-Offset: 0\r\n"
                 + "Content-Type: application/offset+octet-stream\r\nContent-Length: \(bytes.count)\r\n\r\n")
        let step = 256 << 10
        var sent = 0, reported = 0
        while reported <= 0 && sent + step < bytes.count {
            raw.send(Array(bytes[sent..<(sent + step)]))
            sent += step
            Thread.sleep(forTimeInterval: 0.02)
            if (sent / step) % 8 == 0 { reported = try offset(port, token, id) }
        }
        kill(daemon.processIdentifier, SIGKILL)
        daemon.waitUntilExit()
        XCTAssertGreaterThan(reported, 0, "the offset did not move while the PATCH was open (\(sent) bytes sent)")

        (daemon, port, _) = try serve(port: port)
        defer { daemon.terminate(); daemon.waitUntilExit() }
        let kept = try offset(port, token, id)
        XCTAssertGreaterThan(kept, 0, "the daemon came back at offset 0")
        XCTAssertGreaterThanOrEqual(kept, reported, "an offset HEAD reported was lost")
        XCTAssertLessThanOrEqual(kept, sent)
        // The bytes below the offset are exactly the ones sent.
        let folder = dir.file("data/uploads/\(id)")
        var stored = [UInt8]()
        for name in try FileManager.default.contentsOfDirectory(atPath: folder).sorted() where stored.count < kept {
            stored += try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
        }
        XCTAssertGreaterThanOrEqual(stored.count, kept, "HEAD reports more than is on disk")
        XCTAssertTrue(stored.prefix(kept).elementsEqual(bytes.prefix(kept)), "the kept bytes differ from those sent")

        // The dock resumes with curl from the offset HEAD reports.
        let rest = dir.file("rest")
        try Data(bytes[kept...]).write(to: URL(fileURLWithPath: rest))
        let resumed = try tus(port, token, ["-X", "PATCH", "-T", rest, "-H", "Upload-Offset: \(kept)",
                                            "-H", "Content-Type: application/offset+octet-stream",
                                            "http://127.0.0.1:\(port)/files/\(id)"])
        XCTAssertEqual(resumed.status, 204)
        XCTAssertNotNil(resumed.headers["custody-exhibit"])
        let list = try XCTUnwrap(json(try custody(["list", "--json"])) as? [[String: Any]])
        let sum = try runProcess(try XCTUnwrap(which("sha256sum")), [recording]).stdout.prefix(64)
        XCTAssertEqual(list.map { $0["sha256"] as? String }, [String(sum)])
    }
}
