import Foundation
import TestSupport
import XCTest

/// Secrets never in logs (issue 16): a whole run against a real `custody serve`, issuing every kind of
/// secret and using each (and wrong ones) the way docks, officers and recipients do, then every log it
/// left is searched for them: the service's stderr and stdout, `/metrics`, what each command printed
/// (but the lines meant to print a token or a link once), and every file of the data directory but
/// the evidence (`chunks/`) and the keys (`keys/`, where the link secret belongs): the catalog and
/// ledger database with its WAL, upload state, bundle ZIPs. None may hold a token, a bearer header,
/// a link's signature or the link secret (current or retired, in hex or base64).
final class SecretsInLogsCLITests: RemoteCLITestCase {
    /// Where the run's secrets may appear, and where they may not.
    private var logs = [(name: String, bytes: Data)]()
    private var secrets = [(name: String, value: String)]()

    /// Runs `custody ARGS` locally as the supervisor; its stderr is a log, its stdout too unless it
    /// `prints` a secret by design.
    @discardableResult
    private func local(_ args: [String], prints: Bool = false) throws -> ProcessResult {
        keep(try custody(args), args, prints: prints)
    }

    /// Runs `custody ARGS` through the API with `token`, kept as `local` keeps it.
    @discardableResult
    private func api(_ args: [String], token: String, prints: Bool = false) throws -> ProcessResult {
        keep(try remote(args, token: token), args, prints: prints)
    }

    private func keep(_ r: ProcessResult, _ args: [String], prints: Bool) -> ProcessResult {
        let name = args.prefix(2).joined(separator: " ")
        logs.append(("stderr of \(name)", Data(r.stderr.utf8)))
        if !prints { logs.append(("stdout of \(name)", Data(r.stdout.utf8))) }
        return r
    }

    private func secret(_ name: String, _ value: String) -> String {
        XCTAssertGreaterThanOrEqual(value.count, 16, "\(name) is a secret worth searching for: \(value)")
        secrets.append((name, value))
        return value
    }

    /// The first whitespace-separated word of `text` that starts with `prefix`.
    private func word(_ prefix: String, in text: String) throws -> String {
        try XCTUnwrap(text.split(whereSeparator: \.isWhitespace).map(String.init).first { $0.hasPrefix(prefix) },
                      "\(prefix)... in \(text)")
    }

    /// The link secret file's bytes in each spelling a careless log line could use.
    private func linkSecretSpellings(_ path: String, _ name: String) throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(bytes.count, 32)
        _ = secret("\(name) (hex)", bytes.map { String(format: "%02x", $0) }.joined())
        let base64 = bytes.base64EncodedString()
        _ = secret("\(name) (base64)", String(base64.prefix(40)))
        _ = secret("\(name) (base64url)", String(base64.prefix(40)).replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_"))
    }

    func testNoTokenLinkSignatureOrLinkSecretIsEverLogged() throws {
        // Issued: the first supervisor's token (init), officers' and a dock's.
        let supervisor = secret("init's supervisor token", try word("cot_", in: initialized.stdout))
        logs.append(("stderr of init", Data(initialized.stderr.utf8)))
        let added = try local(["officer", "add", "EO-1", "--name", "E", "--role", "evidence-officer"], prints: true)
        let officer = secret("evidence officer's token", try word("cot_", in: added.stdout))
        let audited = try local(["officer", "add", "AU-1", "--name", "A", "--role", "auditor"], prints: true)
        let auditor = secret("auditor's token", try word("cot_", in: audited.stdout))
        let docked = try local(["device", "add", "dock-1"], prints: true)
        let dock = secret("dock token", try word("cdt_", in: docked.stdout))

        // A dock uploads with tus (tuspy), and wrong tokens are refused on /files/.
        let upload = try runProcess(TestPaths.python, ["-c", """
            import sys
            from tusclient import client
            c = client.TusClient(sys.argv[1] + "/files/", headers={"Authorization": "Bearer " + sys.argv[2]})
            c.uploader(sys.argv[3], chunk_size=64 * 1024, metadata={"filename": "a.mp4", "device": "BW2-1",
                       "officer": "PC-1"}).upload()
            """, url, dock, TestPaths.fixture("bodycam-a.mp4")])
        XCTAssertEqual(upload.status, 0, upload.stderr)
        logs.append(("tuspy's stderr", Data(upload.stderr.utf8)))
        eventually(timeout: 30) { (try? self.sqliteLines("SELECT count(*) FROM exhibits"))?.first == "1" }
        let wrongDock = secret("a wrong dock token", "cdt_" + String(repeating: "Q", count: 43))
        for token in [wrongDock, officer] {
            XCTAssertEqual(try curl(["-X", "POST", "-H", "Tus-Resumable: 1.0.0", "-H", "Upload-Length: 10",
                                     "-H", "Authorization: Bearer \(token)", "\(url)/files/"]).status, 401)
        }

        // Officers through the API: reads, an ingest, a case, a bundle built by the service's worker, a
        // report, a new officer (whose token the server's child printed), their token replaced.
        try api(["list", "--json"], token: officer)
        try api(["show", "EX-000001"], token: auditor)
        XCTAssertEqual(try api(["ingest", TestPaths.fixture("bodycam-b.mp4"), "--device", "BW2-2"], token: officer)
            .status, 0)
        try api(["case", "create", "CPS/1"], token: officer)
        try api(["case", "add", "CPS/1", "EX-000001", "EX-000002"], token: officer)
        let created = try api(["bundle", "create", "--case", "CPS/1", "--recipient", "clerk@court.example",
                               "--wait"], token: officer, prints: true)
        XCTAssertEqual(created.status, 0, created.stderr)
        let link = try word("http://", in: created.stdout)
        let query = try XCTUnwrap(link.split(separator: "?").last.map(String.init))
        let sig = secret("the link's signature", try XCTUnwrap(query.components(separatedBy: "sig=").last))
        try api(["report", "EX-000001", "--json"], token: auditor)
        let newcomer = try api(["officer", "add", "PC-9", "--name", "N", "--role", "officer"], token: supervisor,
                               prints: true)
        let pc9 = secret("a token made through the API", try word("cot_", in: newcomer.stdout))
        let replaced = try api(["officer", "token", "EO-1"], token: supervisor, prints: true)
        let officer2 = secret("a replaced token", try word("cot_", in: replaced.stdout))

        // The recipient fetches the link; forged links are refused.
        let base = "\(url)/bundles/BN-000001"
        XCTAssertEqual(try curl(["\(base)?\(query)"]).status, 200)
        XCTAssertEqual(try runProcess(try XCTUnwrap(which("curl")), ["-fsS", "-o", dir.file("b.zip"),
                                                                     "\(base)/BN-000001.zip?\(query)"]).status, 0)
        let forged = query.replacingOccurrences(of: "rcpt=clerk", with: "rcpt=someone")
        XCTAssertNotEqual(forged, query)
        XCTAssertEqual(try curl(["\(base)/BN-000001.zip?\(forged)"]).status, 403)

        // The link secret replaced: the old link stops working (recorded).
        try linkSecretSpellings(data + "/keys/link.secret", "the first link secret")
        XCTAssertEqual(try api(["rotate-key", "link", "--reason", "test"], token: supervisor).status, 0)
        try linkSecretSpellings(data + "/keys/link.secret", "the new link secret")
        XCTAssertEqual(try curl(["\(base)/BN-000001.zip?\(query)"]).status, 403)

        // Refused: wrong, old, disabled and dock tokens on the API.
        XCTAssertEqual(try api(["officer", "disable", "PC-9"], token: supervisor).status, 0)
        let wrong = secret("a wrong officer token", "cot_" + String(repeating: "Z", count: 43))
        for token in [wrong, officer, pc9] {
            XCTAssertEqual(try api(["list"], token: token).status, 2, "refused")
        }
        XCTAssertEqual(try curl(["-H", "Authorization: Bearer \(dock)", "\(url)/api/v1/reports/EX-000001"]).status,
                       401)
        XCTAssertEqual(try api(["list"], token: officer2).status, 0)
        logs.append(("/metrics", Data(try curl(["\(url)/metrics"]).body.utf8)))

        // Stop the service so that everything it writes is written, then read every log.
        server.process.terminate()
        server.process.waitUntilExit()
        server.log.waitForClose(10)
        serverOut.waitForClose(10)
        logs.append(("the service's stderr", Data(server.log.text.utf8)))
        logs.append(("the service's stdout", Data(serverOut.text.utf8)))
        XCTAssertTrue(server.log.text.contains("\"msg\":\"request\""), "the service logged its requests")
        for file in try filesOfTheDataDirectory() {
            logs.append((file, try Data(contentsOf: URL(fileURLWithPath: file))))
        }
        XCTAssertTrue(logs.contains { $0.name.hasSuffix("custody.sqlite") }, "\(logs.map(\.name))")
        XCTAssertTrue(logs.contains { $0.name.hasSuffix("BN-000001.zip") }, "\(logs.map(\.name))")
        XCTAssertEqual(secrets.count, 15, "\(secrets.map(\.name))")
        for (name, value) in secrets {
            for log in logs where log.bytes.range(of: Data(value.utf8)) != nil {
                XCTFail("\(name) is in \(log.name)")
            }
        }
        // And nothing shaped like a token, a bearer header or a signed link, whoever's it is.
        let shapes = try NSRegularExpression(pattern: "c[od]t_[A-Za-z0-9_-]{16}|Bearer c|[?&]sig=[A-Za-z0-9_-]")
        for log in logs {
            let text = String(decoding: log.bytes, as: UTF8.self)  // a binary file's bytes too: ASCII stays ASCII
            if let match = shapes.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
               let found = Range(match.range, in: text) {
                XCTFail("\(log.name) holds \(text[found])")
            }
        }
        // The refusals were recorded (so the search above covered them), each without the token.
        let refused = try eventLines().filter { $0.contains("|refused|") }
        XCTAssertTrue(refused.contains { $0.hasPrefix("officer:unauthenticated|") }, "\(refused)")
        XCTAssertTrue(refused.contains { $0.contains("|download|refused|") }, "\(refused)")
    }

    /// Every file under the data directory but the chunk store's and the keys'.
    private func filesOfTheDataDirectory() throws -> [String] {
        let names = FileManager.default.enumerator(atPath: data)?.allObjects as? [String] ?? []
        return names.filter { name in
            !name.hasPrefix("chunks") && !name.hasPrefix("keys")
                && (try? FileManager.default.attributesOfItem(atPath: data + "/" + name)[.type] as? FileAttributeType)
                    == .typeRegular
        }.map { data + "/" + $0 }
    }
}
