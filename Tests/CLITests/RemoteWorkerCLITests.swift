#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import TestSupport
import XCTest

/// Remote redaction workers (README, *Remote redaction workers*): real processes, real HTTP over
/// loopback, real libav* encoding of the fixtures.
final class RemoteWorkerCLITests: RemoteWorkerCLITestCase {
    /// Two workers and the primary complete a queue of five redactions in three bundles; one worker is
    /// killed (kill -9) mid-redaction: its redaction is made once, by the other, and its late report under
    /// the lease it lost is refused (409) and recorded.
    func testTwoWorkersCompleteAQueueAndAKilledWorkersRedactionIsMadeOnceElsewhere() throws {
        try makeCase()
        let s1 = try specFile("s1.json", #"{"clip": [0.5, 2.5]}"#)
        let s2 = try specFile("s2.json", #"{"clip": [1.0, 3.0]}"#)
        let s3 = try specFile("s3.json", #"{"clip": [0.0, 1.5]}"#)
        try queue(["EX-000001:\(spec)", "EX-000002:\(s1)"])
        try queue(["EX-000001:\(s2)", "EX-000002:\(s3)"])
        try queue(["EX-000001:\(s1)"])
        let (primary, port, primaryLog) = try servePrimary()
        defer { if primary.isRunning { _ = terminate(primary) } }
        let tokenA = try addWorker("w-a"), tokenB = try addWorker("w-b")

        let mark = dir.file("paused")
        let a = try startWorker(port: port, token: tokenA, name: "a", pauseMark: mark)
        defer { if a.process.isRunning { kill(a.process.processIdentifier, SIGKILL) } }
        eventually(timeout: 60) { FileManager.default.fileExists(atPath: mark) }
        let b = try startWorker(port: port, token: tokenB, name: "b")
        defer { if b.process.isRunning { _ = terminate(b.process) } }
        // B works on the rest while A sits mid-redaction, renewing its lease; then A dies.
        eventually(timeout: 120) { ((try? self.cataloguedRedactions()) ?? []).count >= 1 }
        kill(a.process.processIdentifier, SIGKILL)
        a.process.waitUntilExit()

        eventually(timeout: 240) {
            (1...3).allSatisfy { (try? self.show("BN-00000\($0)")["state"] as? String) == "done" }
        }
        XCTAssertEqual(files("bundles"), ["BN-000001.zip", "BN-000002.zip", "BN-000003.zip"],
                       String(primaryLog.text.suffix(2000)) + String(b.log.text.suffix(2000)))
        // Each of the five redactions catalogued once, by B; nothing by A.
        let catalogued = try cataloguedRedactions()
        XCTAssertEqual(catalogued.count, 5, catalogued.joined(separator: "\n"))
        XCTAssertEqual(Set(catalogued.map { $0.prefix { $0 != "|" } }), ["worker:w-b"])
        XCTAssertEqual(Set(catalogued.map { $0.split(separator: "|").last! }).count, 5)
        XCTAssertEqual(try sqliteLines("SELECT COUNT(*) FROM exhibits WHERE parent_sha256 IS NOT NULL"), ["5"])
        for n in 1...3 {
            let items = try XCTUnwrap(try show("BN-00000\(n)")["items"] as? [[String: Any]])
            XCTAssertTrue(items.allSatisfy { $0["derived"] is String }, "\(items)")
        }
        // A's lease: its `source` event; the redaction it had is B's now, and the bundle verifies.
        let leasesOfA = try sqliteLines("SELECT json_extract(details, '$.lease') FROM events WHERE actor = 'w-a' "
                                        + "AND actor_kind = 'worker' AND json_extract(details, '$.role') = 'source'")
        XCTAssertEqual(leasesOfA.count, 1, "\(leasesOfA)")
        let verified = try custody(["bundle", "verify", dir.file("data/bundles/BN-000001.zip")])
        XCTAssertEqual(verified.status, 0, verified.stdout + verified.stderr)

        // A's late report under its stale lease: refused, recorded, nothing catalogued.
        let chunk = String(repeating: "ab", count: 32)
        let (status, body) = try post(port, "/api/v1/worker/leases/\(leasesOfA[0])/done", token: tokenA, body: [
            "sha256": chunk, "size": 10, "chunk_size": 10, "chunks": [["sha256": chunk, "size": 10]],
        ])
        XCTAssertEqual(status, 409, body)
        let refusals = try refusedEvents()
        XCTAssertTrue(refusals.contains { $0.hasPrefix("worker:w-a redact: lease \(leasesOfA[0]) is no longer") },
                      refusals.joined(separator: "\n"))
        XCTAssertEqual(try cataloguedRedactions().count, 5)

        XCTAssertEqual(terminate(b.process), 0, b.log.text)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: b.scratch), [], "B left its work behind")
        XCTAssertEqual(terminate(primary), 0)
    }

    /// A report whose bytes do not match (a chunk stored under a name its bytes do not hash to, a chunk never
    /// stored, or a wrong whole SHA-256) is refused and catalogues nothing; a wrong token is refused (401) and
    /// recorded.
    func testReportsWhoseBytesDoNotMatchAreRefusedAndWrongTokensRecorded() throws {
        try makeCase()
        try queue(["EX-000001:\(spec)"])
        try queue(["EX-000002:\(try specFile("s1.json", #"{"clip": [0.5, 2.5]}"#))"])
        try queue(["EX-000001:\(try specFile("s2.json", #"{"clip": [1.0, 2.0]}"#))"])
        let (primary, port, _) = try servePrimary(leaseSeconds: 60)
        defer { _ = terminate(primary) }
        let token = try addWorker("w-c")
        let first = try lease(port, token: token), second = try lease(port, token: token)
        let third = try lease(port, token: token)
        XCTAssertEqual(first["bundle"] as? String, "BN-000001")
        XCTAssertEqual(second["bundle"] as? String, "BN-000002")
        XCTAssertEqual((first["chunks"] as? [[String: Any]])?.isEmpty, false)

        // Bytes Y stored under the name of bytes X: the primary reads them back and refuses.
        let x = Data("the bytes the worker claims\n".utf8), y = Data("other bytes of the same length\n".utf8)
        let nameX = try sha256(x)
        let forged = try report(port, token: token, lease: first, storing: y, as: nameX, size: x.count, sha256: nameX)
        XCTAssertEqual(forged.0, 400, forged.1)
        XCTAssertTrue(forged.1.contains("damaged"), forged.1)

        // A genuine chunk, but a whole SHA-256 that is not the file's.
        let z = Data("a genuine chunk of the derived clip\n".utf8)
        let wrong = try report(port, token: token, lease: second, storing: z, as: try sha256(z), size: z.count,
                               sha256: nameX)
        XCTAssertEqual(wrong.0, 400, wrong.1)
        XCTAssertTrue(wrong.1.contains("not the \(nameX) reported"), wrong.1)

        // A chunk the worker never stored: its read finds it missing, and says so.
        let never = Data("bytes the worker never stored\n".utf8)
        let nameNever = try sha256(never)
        let absent = try report(port, token: token, lease: third, storing: nil, as: nameNever, size: never.count,
                                sha256: nameNever)
        XCTAssertEqual(absent.0, 400, absent.1)
        XCTAssertTrue(absent.1.contains("chunk 0 (\(nameNever)) is not in the store"), absent.1)

        // Nothing catalogued; both clips wait for another try, their failures recorded.
        XCTAssertEqual(try sqliteLines("SELECT COUNT(*) FROM exhibits"), ["2"])
        XCTAssertEqual(try cataloguedRedactions(), [])
        for id in ["BN-000001", "BN-000002", "BN-000003"] {
            let job = try show(id)
            XCTAssertEqual(job["state"] as? String, "queued")
            XCTAssertTrue((job["items"] as? [[String: Any]])?.first?["derived"] is NSNull, "\(job)")
            XCTAssertTrue((job["error"] as? String)?.contains("the worker's report was refused") == true, "\(job)")
        }
        XCTAssertEqual(try sqliteLines("SELECT COUNT(*) FROM events WHERE action = 'redact' AND outcome = 'failed' "
                                       + "AND actor = 'w-c' AND actor_kind = 'worker'"), ["3"])

        // Wrong tokens: refused (401) and recorded, never named.
        let officer = try addOfficer("eo.2", role: "evidence-officer")
        for bad in ["cwt_" + String(repeating: "A", count: 43), officer, ""] {
            let (status, body) = try post(port, "/api/v1/worker/lease", token: bad)
            XCTAssertEqual(status, 401, body)
        }
        let all = try refusedEvents()
        XCTAssertEqual(all.filter { $0.hasPrefix("worker:unauthenticated redact:") }.count, 3,
                       all.joined(separator: "\n"))
        XCTAssertFalse(try sqliteLines("SELECT COUNT(*) FROM events WHERE details LIKE '%cwt_%' OR details LIKE "
                                       + "'%\(officer)%'").contains { $0 != "0" })
    }

    /// `worker add|list|revoke` (a revoked token is refused), and a worker that cannot reach its server or
    /// store stops with exit 3 saying why.
    func testWorkersAreRegisteredAndRevokedAndUnreachablePartsStopTheWorker() throws {
        let token = try addWorker("w-d")
        XCTAssertTrue(token.hasPrefix("cwt_"), token)
        let listed = try XCTUnwrap(try json(try custody(["worker", "list", "--json"])) as? [[String: Any]])
        XCTAssertEqual(listed.map { $0["name"] as? String }, ["w-d"])
        XCTAssertEqual(listed.first?["active"] as? Bool, true)
        XCTAssertFalse(try custody(["worker", "list", "--json"]).stdout.contains("cwt_"))
        XCTAssertEqual(try custody(["worker", "add", "w-d"]).status, 2)
        let auditor = try custody(["worker", "add", "w-e"], actor: "aud.1")
        XCTAssertEqual(auditor.status, 2, auditor.stderr)

        // Nothing listening: exit 3, naming the server.
        let nowhere = try runProcess(TestPaths.custodyBinary, ["worker", "--server", "http://127.0.0.1:1", "--token",
                                                               token, "--scratch", dir.path])
        XCTAssertEqual(nowhere.status, 3, nowhere.stderr)
        XCTAssertTrue(nowhere.stderr.contains("could not be reached"), nowhere.stderr)
        XCTAssertFalse(nowhere.stderr.contains(token))

        let (primary, port, _) = try servePrimary()
        defer { _ = terminate(primary) }
        let server = "http://127.0.0.1:\(port)"
        let noStore = try runProcess(TestPaths.custodyBinary, ["worker", "--server", server, "--token", token,
                                                               "--scratch", dir.path, "--store", dir.file("none")])
        XCTAssertEqual(noStore.status, 3, noStore.stderr)
        XCTAssertTrue(noStore.stderr.contains("cannot be reached"), noStore.stderr)

        XCTAssertEqual(try custody(["worker", "revoke", "w-d"]).status, 0)
        let revoked = try runProcess(TestPaths.custodyBinary, ["worker", "--server", server, "--token", token,
                                                               "--scratch", dir.path])
        XCTAssertEqual(revoked.status, 2, revoked.stderr)
        XCTAssertTrue(revoked.stderr.contains("refused this worker's token"), revoked.stderr)
        XCTAssertEqual((try json(try custody(["worker", "list", "--json"])) as? [[String: Any]])?.first?["active"]
                       as? Bool, false)
        let refusals = try refusedEvents()
        XCTAssertTrue(refusals.contains { $0.hasPrefix("worker:unauthenticated redact: unknown or revoked") },
                      refusals.joined(separator: "\n"))
    }

    override var officers: [String: String] { ["aud.1": "auditor"] }

    /// Writes `bytes` into the store as chunk `name` and reports, under `lease`, a file of that one chunk
    /// of `size` bytes whose SHA-256 is `sha256`.
    /// Reports one chunk `name` of `size` bytes, stored first with `bytes` (nil: not stored).
    private func report(_ port: Int, token: String, lease: [String: Any], storing bytes: Data?, as name: String,
                        size: Int, sha256: String) throws -> (Int, String) {
        if let bytes {
            let folder = data + "/chunks/\(name.prefix(2))"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try bytes.write(to: URL(fileURLWithPath: folder + "/" + name))
        }
        return try post(port, "/api/v1/worker/leases/\(lease["lease"]!)/done", token: token, body: [
            "sha256": sha256, "size": size, "chunk_size": size, "chunks": [["sha256": name, "size": size]],
        ])
    }

    private func sha256(_ bytes: Data) throws -> String {
        let file = dir.file("sha-\(UUID().uuidString.prefix(8))")
        try bytes.write(to: URL(fileURLWithPath: file))
        return String(try runProcess(try XCTUnwrap(which("sha256sum")), [file]).stdout.prefix(64))
    }
}
