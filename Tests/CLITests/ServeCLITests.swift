import Foundation
import TestSupport
import XCTest

final class ServeCLITests: CLITestCase {
    func testServeAnswersHealthAndStopsOnSIGTERM() throws {
        let (process, port, log) = try serve()
        defer { if process.isRunning { process.terminate() } }

        let health = try runProcess(try XCTUnwrap(which("curl")), ["-s", "--max-time", "5", "http://127.0.0.1:\(port)/healthz"])
        XCTAssertTrue(health.stdout.contains("\"status\":\"ok\""), health.stdout + health.stderr)
        XCTAssertTrue(log.text.contains("\"public_url\":\"http://127.0.0.1:\(port)\""), log.text)
        XCTAssertTrue(log.text.contains("\"tls\":false"), log.text)
        // SIGHUP (reload TLS) without TLS: said so, and serving goes on.
        XCTAssertEqual(kill(process.processIdentifier, SIGHUP), 0)
        let hupDeadline = Date().addingTimeInterval(10)
        while !log.text.contains("nothing to reload") && Date() < hupDeadline { Thread.sleep(forTimeInterval: 0.02) }
        XCTAssertTrue(log.text.contains("nothing to reload"), log.text)
        XCTAssertTrue(process.isRunning)

        process.terminate()  // SIGTERM
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        XCTAssertFalse(process.isRunning, "serve did not stop on SIGTERM")
        XCTAssertEqual(process.terminationStatus, 0)
        log.waitForClose(5)
        let rest = log.text
        for logLine in log.lines {
            XCTAssertNotNil(try? JSONSerialization.jsonObject(with: Data(logLine.utf8)), "not a JSON log line: \(logLine)")
        }
        XCTAssertTrue(rest.contains("\"msg\":\"stopped\""), rest)
    }

    func testServeRejectsBadArguments() throws {
        XCTAssertEqual(try custody(["serve", "--listen", "nowhere"]).status, 2)
        XCTAssertEqual(try custody(["serve", "--listen", "10.0.0.1:99999"]).status, 2)
        XCTAssertEqual(try custody(["serve", "--public-url", "ftp://x"]).status, 2)
        for n in ["0", "65", "many"] {
            let refused = try custody(["serve", "--max-connections-per-peer", n])
            XCTAssertEqual(refused.status, 2, n)
            XCTAssertTrue(refused.stderr.contains("--max-connections-per-peer must be 1-64"), refused.stderr)
        }
        let uninitialised = try runProcess(TestPaths.custodyBinary, ["serve", "--data", dir.file("nowhere")])
        XCTAssertEqual(uninitialised.status, 2)
        XCTAssertTrue(uninitialised.stderr.contains("custody init"), uninitialised.stderr)
        XCTAssertEqual(try custody(["serve", "--help"]).status, 0)
    }

    func testServeOverTLSAnswersHealthAndSaysSoInTheLog() throws {
        let tls = try TLSFixture()
        let (process, port, log) = try serve(["--tls-cert", tls.certificate, "--tls-key", tls.key])
        defer { if process.isRunning { process.terminate() } }
        let listening = try XCTUnwrap(log.lines.lazy.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.first { $0["msg"] as? String == "listening" })
        XCTAssertEqual(listening["tls"] as? Bool, true, "\(listening)")
        XCTAssertEqual(listening["public_url"] as? String, "https://127.0.0.1:\(port)")

        let curl = try XCTUnwrap(which("curl"))
        let https = ["-sS", "--max-time", "5", "--cacert", tls.certificate, "-w", "%{http_code}",
                     "https://127.0.0.1:\(port)/healthz"]
        let health = try runProcess(curl, https)
        XCTAssertTrue(health.stdout.contains("\"status\":\"ok\""), health.stdout + health.stderr)
        XCTAssertTrue(health.stdout.hasSuffix("\n200"), health.stdout + health.stderr)
        let plain = try runProcess(curl, ["-sS", "--max-time", "5", "-w", "%{http_code}",
                                          "http://127.0.0.1:\(port)/healthz"])
        XCTAssertTrue(plain.stdout.hasSuffix("400") && plain.stdout.contains("HTTPS"), plain.stdout + plain.stderr)
        XCTAssertTrue(try runProcess(curl, https).stdout.hasSuffix("\n200"), "serving goes on after a plain request")

        // A dock over HTTPS is sent to an https:// upload URL, and its bytes arrive there.
        let token = try custody(["device", "add", "dock-tls"], actor: "PC-1").stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let tus = ["-sS", "--max-time", "5", "--cacert", tls.certificate, "-H", "Tus-Resumable: 1.0.0",
                   "-H", "Authorization: Bearer \(token)"]
        let created = try runProcess(curl, tus + ["-i", "-X", "POST", "-H", "Upload-Length: 5",
                                                  "https://127.0.0.1:\(port)/files/"])
        let location = try XCTUnwrap(created.stdout.split(separator: "\r\n")
            .first { $0.lowercased().hasPrefix("location: ") }).dropFirst("location: ".count)
        XCTAssertTrue(location.hasPrefix("https://127.0.0.1:\(port)/files/"), created.stdout)
        let patched = try runProcess(curl, tus + ["-w", "%{http_code}", "-X", "PATCH", "-H", "Upload-Offset: 0",
                                                  "-H", "Content-Type: application/offset+octet-stream",
                                                  "--data-binary", "hello", String(location)])
        XCTAssertEqual(patched.stdout, "204", patched.stderr)

        process.terminate()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
    }

    func testSIGHUPServesARenewedCertificateAndKeepsTheOldOneWhenTheNewFilesAreBad() throws {
        let tls = try TLSFixture()
        let (process, port, log) = try serve(["--tls-cert", tls.certificate, "--tls-key", tls.key])
        defer { if process.isRunning { process.terminate() } }
        func fingerprint(_ certificate: String) throws -> String {
            let out = try runProcess(tls.openssl, ["x509", "-in", certificate, "-noout", "-fingerprint", "-sha256"])
            return String(out.stdout.split(separator: "=").last ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                .replacingOccurrences(of: ":", with: "").lowercased()
        }
        func entry(_ message: String, after count: Int = 0) throws -> [String: Any] {
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                let found = log.lines.dropFirst(count).lazy.compactMap {
                    try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                }.first { $0["msg"] as? String == message }
                if let found { return found }
                Thread.sleep(forTimeInterval: 0.02)
            }
            throw NSError(domain: "no \(message) in the log: \(log.text)", code: 1)
        }
        func health(trusting certificate: String) throws -> ProcessResult {
            try runProcess(try XCTUnwrap(which("curl")), ["-sS", "--max-time", "5", "--cacert", certificate,
                                                          "-w", "%{http_code}", "https://127.0.0.1:\(port)/healthz"])
        }
        let original = try fingerprint(tls.certificate)
        XCTAssertEqual(try entry("listening")["certificate_sha256"] as? String, original)

        // The certificate is renewed in place (same paths, new key), then the daemon gets SIGHUP.
        let renewed = try TLSFixture()
        let oldCertificate = tls.directory.file("old-cert.pem")
        try FileManager.default.copyItem(atPath: tls.certificate, toPath: oldCertificate)
        for (from, to) in [(renewed.certificate, tls.certificate), (renewed.key, tls.key)] {
            try Data(contentsOf: URL(fileURLWithPath: from)).write(to: URL(fileURLWithPath: to))
        }
        var seen = log.lines.count
        XCTAssertEqual(kill(process.processIdentifier, SIGHUP), 0)
        let reloaded = try entry("tls reloaded", after: seen)
        XCTAssertEqual(reloaded["certificate_sha256"] as? String, try fingerprint(renewed.certificate))
        XCTAssertNotEqual(reloaded["certificate_sha256"] as? String, original)
        XCTAssertTrue(try health(trusting: renewed.certificate).stdout.hasSuffix("\n200"), "the renewed one is served")
        XCTAssertNotEqual(try health(trusting: oldCertificate).status, 0, "the old one is not")

        // A key that does not match: refused, logged, and the renewed certificate stays in use.
        let unrelated = try tls.makeUnrelatedKey()
        try Data(contentsOf: URL(fileURLWithPath: unrelated)).write(to: URL(fileURLWithPath: tls.key))
        seen = log.lines.count
        XCTAssertEqual(kill(process.processIdentifier, SIGHUP), 0)
        let failed = try entry("tls reload failed; the previous certificate stays in use", after: seen)
        XCTAssertTrue((failed["error"] as? String ?? "").contains(tls.key), "\(failed)")
        XCTAssertEqual(failed["certificate_sha256"] as? String, try fingerprint(renewed.certificate))
        XCTAssertTrue(try health(trusting: renewed.certificate).stdout.hasSuffix("\n200"))
        XCTAssertFalse(log.text.contains("BEGIN"), "no key or certificate material in the log")

        process.terminate()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
    }

    func testServeRefusesIncompleteOrUnsafeTLSOptions() throws {
        let tls = try TLSFixture()
        let onlyCert = try custody(["serve", "--tls-cert", tls.certificate])
        XCTAssertEqual(onlyCert.status, 2)
        XCTAssertTrue(onlyCert.stderr.contains("--tls-cert needs --tls-key"), onlyCert.stderr)
        XCTAssertEqual(try custody(["serve", "--tls-key", tls.key]).status, 2)

        let other = try tls.makeUnrelatedKey()
        let mismatch = try custody(["serve", "--listen", "127.0.0.1:0", "--tls-cert", tls.certificate,
                                    "--tls-key", other])
        XCTAssertEqual(mismatch.status, 2)
        XCTAssertTrue(mismatch.stderr.contains("private key \(other) does not match the certificate"), mismatch.stderr)

        try tls.setMode(0o644, tls.key)
        let open = try custody(["serve", "--listen", "127.0.0.1:0", "--tls-cert", tls.certificate,
                                "--tls-key", tls.key])
        XCTAssertEqual(open.status, 2)
        XCTAssertTrue(open.stderr.contains("mode 644); run chmod 600 \(tls.key)"), open.stderr)

        let missing = try custody(["serve", "--listen", "127.0.0.1:0", "--tls-cert", dir.file("none.pem"),
                                   "--tls-key", other])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("cannot read \(dir.file("none.pem"))"), missing.stderr)
    }

    func testServeAnswersADockBesideTwoThousandIdleAndSlowConnections() throws {
        let token = try custody(["device", "add", "dock-9"], actor: "PC-1").stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let (process, port, _) = try serve()
        defer { if process.isRunning { process.terminate() } }
        let upload = dir.file("upload.bin")
        try Data(repeating: 0x5A, count: 8 << 20).write(to: URL(fileURLWithPath: upload))
        // The script behind `Scripts/bench connections`: it checks every answer (exit 1 otherwise) and
        // prints "<label>: /healthz median M ms, max X ms; upload of N MiB S s" and the server's memory.
        let script = TestPaths.root.appendingPathComponent("Scripts/lib/waiting.py").path
        let run = try runProcess(TestPaths.python, [script, String(port), String(process.processIdentifier), token,
                                                    upload, "2000"])
        if run.status == 77 { throw XCTSkip(run.stderr.trimmingCharacters(in: .whitespacesAndNewlines)) }
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        let loaded = try XCTUnwrap(run.stdout.split(separator: "\n").first { $0.hasPrefix("2000 idle") }, run.stdout)
        let numbers = loaded.split(whereSeparator: { " ,;".contains($0) }).compactMap { Double($0) }
        XCTAssertEqual(numbers.count, 5, String(loaded))
        XCTAssertLessThan(numbers[2], 1000, "slowest /healthz beside 2,000 waiting connections: \(loaded)")
        XCTAssertLessThan(numbers[4], 5, "8 MiB upload beside 2,000 waiting connections: \(loaded)")
        // "server resident memory: B KiB before, A KiB with 2000 connections open (...)": the server's own VmRSS.
        let memory = try XCTUnwrap(run.stdout.split(separator: "\n").first { $0.hasPrefix("server resident") })
        let kibibytes = memory.split(whereSeparator: { " ,;(".contains($0) }).compactMap { Int($0) }
        XCTAssertLessThan(kibibytes[1] - kibibytes[0], 64 << 10, "memory for 2,000 waiting connections: \(memory)")
    }
}
