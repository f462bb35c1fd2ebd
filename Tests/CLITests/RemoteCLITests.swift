import CustodyCore
import Foundation
import TestSupport
import XCTest

/// The CLI over the network: real `custody serve` over loopback, real CLI processes with `--server`.
final class RemoteCLITests: RemoteCLITestCase {
    func testCommandsRunOnTheServerAsTheTokensOfficerWithTheLocalOutputAndExitCodes() throws {
        let token = try register("EO-1", .evidenceOfficer)
        // Ingest: the file is uploaded and catalogued under the name given here, as a local ingest does.
        let copy = dir.file("card/clip.mp4")
        try FileManager.default.createDirectory(atPath: dir.file("card"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: TestPaths.fixture("bodycam-a.mp4"), toPath: copy)
        let ingested = try remote(["ingest", "card/clip.mp4", "--device", "BW2-1", "--json"], token: token,
                                  cwd: dir.path)
        XCTAssertEqual(ingested.status, 0, ingested.stderr)
        let rows = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(ingested.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(rows.count, 1)
        XCTAssertEqual(rows.first?["id"] as? String, "EX-000001")
        XCTAssertEqual(rows.first?["file"] as? String, "card/clip.mp4")
        let sha = try XCTUnwrap(rows.first?["sha256"] as? String)

        // The same command, locally and over the network: the same bytes on stdout.
        let local = try custody(["show", "EX-000001", "--json"], actor: "EO-1")
        let remoteShow = try remote(["show", "EX-000001", "--json"], token: token)
        XCTAssertEqual(remoteShow.status, 0, remoteShow.stderr)
        XCTAssertEqual(remoteShow.stdout, local.stdout)
        XCTAssertTrue(remoteShow.stdout.contains("\"filename\" : \"clip.mp4\""), remoteShow.stdout)
        // A refusal: the same exit code and JSON error as locally.
        let missing = try remote(["show", "EX-000099", "--json"], token: token)
        let missingLocally = try custody(["show", "EX-000099", "--json"], actor: "EO-1")
        XCTAssertEqual(missing.status, 2)
        XCTAssertEqual(missing.stdout, missingLocally.stdout)

        // A redaction whose spec is a file here: sent with the command, read there under its name.
        let redacted = try remote(["redact", "EX-000001", "--spec", TestPaths.fixture("redaction-spec.json"),
                                   "--reason", "CPS 17", "--json"], token: token)
        XCTAssertEqual(redacted.status, 0, redacted.stderr)
        XCTAssertTrue(redacted.stdout.contains("\"id\" : \"EX-000002\""), redacted.stdout)

        // Export: downloaded into the file here, bit for bit; never over an existing file.
        let out = dir.file("exported.mp4")
        let exported = try remote(["export", "EX-000001", "--out", out, "--reason", "CPS request"], token: token)
        XCTAssertEqual(exported.status, 0, exported.stderr)
        XCTAssertEqual(exported.stdout, "EX-000001  \(sha)  \(out)\n")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)),
                       try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("bodycam-a.mp4"))))
        let again = try remote(["export", "EX-000001", "--out", out, "--reason", "again"], token: token)
        XCTAssertEqual(again.status, 2)
        XCTAssertTrue(again.stderr.contains("already exists"), again.stderr)

        // Every event names the token's officer, whatever the client's environment said.
        let events = try eventLines()
        for action in ["ingest", "view", "redact", "export"] {
            XCTAssertTrue(events.contains { $0.hasPrefix("officer:EO-1|\(action)|ok|") }, "\(action): \(events)")
        }
        XCTAssertEqual(try eventLines().filter { $0.contains("|export|") }.count, 1, "\(events)")
    }

    func testAnOfficerCannotChooseWhoActsOrWhereNorReadTheServersFiles() throws {
        let token = try register("EO-1", .evidenceOfficer)
        for given in [["--as", "PC-9"], ["--data", "/tmp"]] {
            let r = try remote(["list"] + given, token: token)
            XCTAssertEqual(r.status, 2, r.stderr)
            XCTAssertTrue(r.stderr.contains("has no meaning with --server"), r.stderr)
        }
        // Past the CLI (a raw request): refused by the server, and recorded against the officer.
        let bearer = ["-H", "Authorization: Bearer \(token)", "-H", "Content-Type: application/json"]
        let asOther = try curl(bearer + ["--data", #"{"argv": ["list", "--as=PC-9"]}"#, "\(url)/api/v1/commands"])
        XCTAssertEqual(asOther.status, 400, asOther.body)
        // A spec the client did not send: the command is refused, nothing of the server's is read.
        let spec = try curl(bearer + ["--data", #"{"argv": ["redact", "EX-000001", "--spec", "/etc/passwd", "#
                                      + #""--reason", "x", "--json"]}"#, "\(url)/api/v1/commands"])
        XCTAssertEqual(spec.status, 200, spec.body)
        let answer = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(spec.body.utf8)) as? [String: Any])
        XCTAssertEqual(answer["exit"] as? Int, 2)
        XCTAssertTrue((answer["stderr"] as? String ?? "").contains("/etc/passwd was not sent with the command"),
                      "\(answer)")
        for (body, status) in [("{not json", 400), (#"{"argv": ["init"]}"#, 400), (#"{"argv": ["serve"]}"#, 400),
                               (#"{"argv": ["export", "EX-000001", "--out", "/tmp/x"]}"#, 400),
                               (#"{"argv": ["rm", "-rf"]}"#, 400), (#"{"argv": []}"#, 400)] {
            XCTAssertEqual(try curl(bearer + ["--data", body, "\(url)/api/v1/commands"]).status, status, body)
        }
        let huge = dir.file("huge.json")
        try Data(("{\"argv\": [\"list\"], \"files\": {\"a\": \"" + String(repeating: "A", count: 13 << 20) + "\"}}")
            .utf8).write(to: URL(fileURLWithPath: huge))
        XCTAssertEqual(try curl(bearer + ["--data-binary", "@\(huge)", "\(url)/api/v1/commands"]).status, 413)
        let refused = try eventLines().filter { $0.hasPrefix("officer:EO-1|") && $0.contains("|refused|") }
        XCTAssertTrue(refused.contains { $0.contains("--as=PC-9 cannot be given over the network") }, "\(refused)")
        XCTAssertTrue(refused.contains { $0.contains("the body must be a JSON object") }, "\(refused)")
        XCTAssertTrue(refused.contains { $0.contains("init runs on the server's data directory only") }, "\(refused)")
        XCTAssertTrue(refused.contains { $0.contains("exceeds") }, "\(refused)")
    }

    func testTokensOfDocksDisabledOfficersAndNoneAreRefusedAndRecorded() throws {
        let token = try register("EO-1", .evidenceOfficer)
        let leaver = try register("EO-2", .evidenceOfficer)
        let dock = try custody(["device", "add", "dock-1"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(dock.hasPrefix("cdt_"), dock)
        XCTAssertEqual(try custody(["officer", "disable", "EO-2"]).status, 0)
        XCTAssertEqual(try remote(["list"], token: leaver).status, 2)
        let asDock = try remote(["list", "--json"], token: dock)
        XCTAssertEqual(asDock.status, 2)
        XCTAssertTrue(asDock.stdout.contains("\"exit\" : 2"), asDock.stdout)
        XCTAssertEqual(try curl(["-H", "Authorization: Bearer \(dock)", "\(url)/api/v1/commands"]).status, 401)
        XCTAssertEqual(try curl(["\(url)/api/v1/commands"]).status, 401)
        // An officer's token on the docks' upload endpoint.
        let tus = try curl(["-X", "POST", "-H", "Tus-Resumable: 1.0.0", "-H", "Upload-Length: 5",
                            "-H", "Authorization: Bearer \(token)", "\(url)/files/"])
        XCTAssertEqual(tus.status, 401, tus.body)
        let events = try eventLines()
        XCTAssertTrue(events.contains("officer:unauthenticated|view|refused|unknown token, or the token of a disabled "
                                      + "officer"), "\(events)")
        XCTAssertTrue(events.contains("officer:unauthenticated|view|refused|a dock's token was used on the "
                                      + "officers' API"), "\(events)")
        XCTAssertTrue(events.contains("officer:unauthenticated|view|refused|no bearer token"), "\(events)")
        XCTAssertTrue(events.contains("device:unauthenticated|upload|refused|an officer's token was used to upload "
                                      + "(docks have their own)"), "\(events)")
        XCTAssertFalse(events.contains { $0.hasPrefix("officer:EO-2|") }, "\(events)")
    }
}
