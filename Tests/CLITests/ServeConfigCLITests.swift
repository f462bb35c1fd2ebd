import Foundation
import TestSupport
import XCTest

/// `custody serve --config FILE`: settings from a file, overridden by the command line and
/// $CUSTODY_DATA, a bad value naming its line, and --check-config; the example in Deploy/ is good.
final class ServeConfigCLITests: CLITestCase {
    func write(_ name: String, _ text: String) throws -> String {
        let path = dir.file(name)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func settings(_ r: ProcessResult) throws -> [String: [String: String]] {
        try XCTUnwrap((try json(r) as? [String: Any])?["settings"] as? [String: [String: String]], r.stdout)
    }

    func testTheFileFillsWhatTheCommandLineDoesNotGiveAndTheServiceUsesIt() throws {
        let conf = try write("custody.conf", """
            # a comment, then a blank line

            listen = 127.0.0.1:0
              transfer-jobs = 0
            upload-expiry = 36h
            max-upload-size = 500M
            """)
        let checked = try settings(try custody(["serve", "--config", conf, "--check-config", "--json",
                                                "--max-upload-size", "2G"]))
        XCTAssertEqual(checked["listen"], ["value": "127.0.0.1:0", "from": "\(conf) line 3"])
        XCTAssertEqual(checked["transfer-jobs"], ["value": "0", "from": "\(conf) line 4"])
        XCTAssertEqual(checked["upload-expiry"], ["value": "36h", "from": "\(conf) line 5"])
        XCTAssertEqual(checked["max-upload-size"]?["from"], "command line", "the command line wins")
        XCTAssertEqual(checked["max-upload-size"]?["value"], "2.0 GiB")
        XCTAssertEqual(checked["data"], ["value": data, "from": "$CUSTODY_DATA"])
        XCTAssertEqual(checked["transfer-priority"], ["value": "idle", "from": "default"])
        // The service really runs with them: an upload larger than 500M is refused as too large.
        let (daemon, port, _) = try serve(port: 0, ["--config", conf])
        defer { daemon.terminate(); daemon.waitUntilExit() }
        let token = try custody(["device", "add", "dock-1"], actor: "PC-1").stdout.trimmingCharacters(in: .newlines)
        let r = try runProcess(try XCTUnwrap(which("curl")), [
            "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H", "Tus-Resumable: 1.0.0",
            "-H", "Authorization: Bearer \(token)", "-H", "Upload-Length: \(600 << 20)",
            "http://127.0.0.1:\(port)/files/"])
        XCTAssertEqual(r.stdout, "413", r.stderr)
    }

    func testABadFileStopsStartUpNamingTheLine() throws {
        let cases: [(String, String)] = [
            ("listen = 127.0.0.1:0\ntransfer-jobs = 12\n", "line 2: transfer-jobs must be a whole number from 0 to 8"),
            ("lisen = 127.0.0.1:0\n", "line 1: unknown setting lisen; settings: data, listen,"),
            ("listen 127.0.0.1:0\n", "line 1: expected `name = value`, not listen 127.0.0.1:0"),
            ("listen = a\nlisten = b\n", "line 2: listen is already set on line 1"),
            ("\n\nupload-expiry = 5s\n", "line 3: upload-expiry must be a number and d, h or m"),
            ("max-upload-size = 12Q\n", "line 1: max-upload-size must be a size from 1M to 16T"),
            ("tls-cert = /nonexistent.pem\n", "line 1: tls-cert needs --tls-key"),
            ("check-config = yes\n", "line 1: unknown setting check-config"),
        ]
        for (text, message) in cases {
            let conf = try write("bad.conf", text)
            for args in [["serve", "--config", conf], ["serve", "--config", conf, "--check-config"]] {
                let r = try custody(args)
                XCTAssertEqual(r.status, 2, "\(text): \(r.stderr)")
                XCTAssertTrue(r.stderr.contains("\(conf) \(message)"), "\(text): \(r.stderr)")
            }
        }
        // The command line's own mistakes are said as before, naming the option.
        let conf = try write("good.conf", "listen = 127.0.0.1:0\n")
        let r = try custody(["serve", "--config", conf, "--transfer-jobs", "9", "--check-config"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("error: --transfer-jobs must be a whole number from 0 to 8"), r.stderr)
        XCTAssertEqual(try custody(["serve", "--config", dir.file("missing.conf"), "--check-config"]).status, 2)
    }

    func testTheExampleInDeployIsGoodAndItsTLSFilesAreLoaded() throws {
        let example = TestPaths.root.appendingPathComponent("Deploy/custody.conf").path
        let checked = try settings(try custody(["serve", "--config", example, "--check-config", "--json"]))
        XCTAssertEqual(checked["listen"]?["value"], "0.0.0.0:8443")
        XCTAssertEqual(checked["public-url"]?["value"], "https://evidence.example.org:8443")
        // Its TLS lines, uncommented, with a certificate and key made here: loaded; a key others may
        // read is refused.
        let fixture = try TLSFixture()
        defer { fixture.directory.remove() }
        let (cert, key) = (fixture.certificate, fixture.key)
        let text = try String(contentsOfFile: example, encoding: .utf8)
            .replacingOccurrences(of: "# tls-cert = /etc/custody/tls/fullchain.pem", with: "tls-cert = \(cert)")
            .replacingOccurrences(of: "# tls-key = /etc/custody/tls/privkey.pem", with: "tls-key = \(key)")
        let conf = try write("tls.conf", text)
        let tls = try settings(try custody(["serve", "--config", conf, "--check-config", "--json"]))
        XCTAssertEqual(tls["tls-key"]?["value"], key)
        chmod(key, 0o644)
        let open = try custody(["serve", "--config", conf, "--check-config"])
        XCTAssertNotEqual(open.status, 0)
        XCTAssertTrue(open.stderr.contains(key), open.stderr)
    }
}

/// A data directory written by a newer custody (a schema version this binary does not know, as after
/// restoring a newer backup with an older binary) is refused by every command, saying why.
final class NewerSchemaCLITests: CLITestCase {
    func testEveryCommandRefusesADatabaseANewerCustodyWrote() throws {
        let sqlite = try XCTUnwrap(which("sqlite3"))
        let db = dir.file("data/custody.sqlite")
        XCTAssertEqual(try runProcess(sqlite, [db, "UPDATE schema_versions SET version = 99 WHERE component = 'ledger'"])
            .status, 0)
        for args in [["list"], ["verify"], ["ledger", "verify"], ["serve", "--listen", "127.0.0.1:0"]] {
            let r = try custody(args, actor: "PC-1")
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("was written by a newer custody: its ledger tables are at schema version 99"),
                          "\(args): \(r.stderr)")
        }
        XCTAssertEqual(try runProcess(sqlite, [db, "SELECT version FROM schema_versions WHERE component = 'ledger'"])
            .stdout, "99\n", "nothing changed it")
    }
}
