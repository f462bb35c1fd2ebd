import Crypto
import CustodyCore
import Foundation
import Ledger
import TestSupport
import XCTest

final class LedgerCLITests: CLITestCase {
    override var officers: [String: String] { ["PC-4471": "evidence-officer", "PC-7": "evidence-officer"] }
    func ingestFixture() throws {
        let r = try custody(["ingest", TestPaths.fixture("bodycam-a.mp4"), "--device", "BW2-1"], actor: "PC-4471")
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func verifier() throws -> NoteVerifier {
        let key = try custody(["ledger", "key"])
        XCTAssertEqual(key.status, 0, key.stderr)
        return try NoteVerifier(vkey: String(key.stdout.split(separator: "\n")[0]))
    }

    func testALogLineCannotBeForgedWithANewlineInAFileName() throws {
        try ingestFixture()
        let forged = "nofile\n9  2026-11-25T07:00:00.000Z  officer:PC-9  export  ok  EX-000001"
        XCTAssertNotEqual(try custody(["ingest", dir.file(forged), "--device", "BW2-1"], actor: "PC-1").status, 0)
        let events = try XCTUnwrap(json(try custody(["ledger", "log", "--json"])) as? [[String: Any]])
        let text = try custody(["ledger", "log"]).stdout
        XCTAssertEqual(text.split(separator: "\n").count, events.count, "one line per event:\n\(text)")
        XCTAssertTrue(text.contains("nofile\\n9"), text)
    }

    /// The README's recipe: only coreutils and openssl, nothing of custody's.
    func testCheckpointSignatureVerifiesWithCoreutilsAndOpenSSL() throws {
        try ingestFixture()
        let cp = try custody(["ledger", "checkpoint"])
        XCTAssertEqual(cp.status, 0, cp.stderr)
        try cp.stdout.write(toFile: dir.file("checkpoint.txt"), atomically: true, encoding: .utf8)
        let recipe = """
            set -e
            cd '\(dir.path)'
            head -n 3 checkpoint.txt > body.txt
            tail -n 1 checkpoint.txt | cut -d' ' -f3 | base64 -d | tail -c +5 > sig.bin
            openssl pkeyutl -verify -pubin -inkey data/keys/ledger.pub -rawin -in body.txt -sigfile sig.bin
            # The key ID: SHA-256(origin || 0x0A || 0x01 || raw public key), first 4 bytes.
            { head -n 1 body.txt; printf '\\001'; openssl pkey -pubin -in data/keys/ledger.pub -outform DER | tail -c 32; } \\
                | sha256sum | cut -c1-8
            tail -n 1 checkpoint.txt | cut -d' ' -f3 | base64 -d | head -c 4 | od -An -tx1 | tr -d ' \\n'; echo
            """
        let r = try runProcess("/bin/sh", ["-c", recipe])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n")
        XCTAssertEqual(lines.first, "Signature Verified Successfully")
        XCTAssertEqual(lines.count, 3, r.stdout)
        XCTAssertEqual(lines[1], lines[2], "the key ID in the signature is SHA-256(name \\n 0x01 key)[:4]")
        XCTAssertEqual(String(lines[1]), Hex.encode(try verifier().keyID))

        // Any change to the signed text fails the same command.
        let body = cp.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        try "\(body[0])\n\(Int(body[1])! + 1)\n\(body[2])\n".write(toFile: dir.file("body.txt"), atomically: true, encoding: .utf8)
        let forged = try runProcess("/bin/sh", ["-c", "cd '\(dir.path)' && openssl pkeyutl -verify -pubin "
                                                + "-inkey data/keys/ledger.pub -rawin -in body.txt -sigfile sig.bin"])
        XCTAssertNotEqual(forged.status, 0)
    }

    func testLogProofAndConsistencyVerifyOffline() throws {
        try ingestFixture()
        let oldCheckpoint = try custody(["ledger", "checkpoint"]).stdout
        try oldCheckpoint.write(toFile: dir.file("old.cp"), atomically: true, encoding: .utf8)
        for _ in 0..<3 { XCTAssertEqual(try custody(["show", "EX-000001"], actor: "PC-7").status, 0) }
        let verifier = try verifier()

        let timeline = try XCTUnwrap(json(try custody(["ledger", "log", "EX-000001", "--json"])) as? [[String: Any]])
        XCTAssertEqual(timeline.map { $0["action"] as? String }, ["ingest", "view", "view", "view"])
        XCTAssertEqual(timeline.map { $0["actor"] as? String }, ["PC-4471", "PC-7", "PC-7", "PC-7"])
        let all = try XCTUnwrap(json(try custody(["ledger", "log", "--json"])) as? [[String: Any]])
        XCTAssertEqual(all.map { $0["seq"] as? Int }, Array(0..<all.count))

        // An inclusion proof for the ingest event, checked with nothing but the verifier key.
        let seq = try XCTUnwrap(timeline[0]["seq"] as? Int)
        let text = try custody(["ledger", "proof", String(seq)])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.hasPrefix("c2sp.org/tlog-proof@v1\nextra "), text.stdout)
        let proof = try InclusionProof(parsing: text.stdout)
        let cp = try proof.verify(verifier: verifier)
        XCTAssertEqual(cp.size, UInt64(all.count))
        let leaf = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try XCTUnwrap(proof.leaf))) as? [String: Any])
        XCTAssertEqual(leaf["action"] as? String, "ingest")
        XCTAssertEqual(leaf["exhibit"] as? String, "EX-000001")
        XCTAssertEqual(Merkle.leafHash(try XCTUnwrap(proof.leaf)).hex, timeline[0]["leaf_hash"] as? String)

        // Against an older checkpoint, by its size; a size with no checkpoint is a clear error.
        let oldSize = try Checkpoint.open(oldCheckpoint, verifier: verifier).size
        let older = try InclusionProof(parsing: try custody(["ledger", "proof", String(seq), "--size", String(oldSize)]).stdout)
        XCTAssertEqual(try older.verify(verifier: verifier).size, oldSize)
        let missing = try custody(["ledger", "proof", String(seq), "--size", "999"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("no checkpoint has size 999"), missing.stderr)
        XCTAssertEqual(try custody(["ledger", "proof", "5000"]).status, 2)

        // The ledger now extends the old checkpoint.
        let consistency = try custody(["ledger", "consistency", dir.file("old.cp")])
        XCTAssertEqual(consistency.status, 0, consistency.stderr)
        let parsed = try ConsistencyProof(parsing: consistency.stdout)
        let new = try parsed.verify(old: try Checkpoint.open(oldCheckpoint, verifier: verifier), verifier: verifier)
        XCTAssertGreaterThan(new.size, oldSize)

        // A forged old checkpoint is refused.
        try oldCheckpoint.replacingOccurrences(of: "\n\(oldSize)\n", with: "\n\(oldSize - 1)\n")
            .write(toFile: dir.file("forged.cp"), atomically: true, encoding: .utf8)
        let forged = try custody(["ledger", "consistency", dir.file("forged.cp")])
        XCTAssertEqual(forged.status, 1)
        XCTAssertTrue(forged.stderr.contains("does not verify"), forged.stderr)
    }

    func testVerifyCatchesAnEventEditedWithTheSqlite3CLI() throws {
        try ingestFixture()
        try custody(["ledger", "checkpoint"]).stdout.write(toFile: dir.file("kept.cp"), atomically: true, encoding: .utf8)
        let ok = try custody(["ledger", "verify", "--checkpoint", dir.file("kept.cp"), "--json"])
        let report = try XCTUnwrap(json(ok) as? [String: Any])
        XCTAssertEqual(report["intact"] as? Bool, true)
        XCTAssertEqual(report["checkpoint_files"] as? Int, 1)

        let sqlite = try XCTUnwrap(which("sqlite3"))
        let edit = try runProcess(sqlite, [dir.file("data/custody.sqlite"),
                                           "DROP TRIGGER events_no_update; UPDATE events SET actor = 'PC-0001' WHERE seq = 1;"])
        XCTAssertEqual(edit.status, 0, edit.stderr)
        let bad = try custody(["ledger", "verify", "--checkpoint", dir.file("kept.cp")])
        XCTAssertEqual(bad.status, 1)
        let first = bad.stdout.split(separator: "\n").first.map(String.init) ?? ""
        XCTAssertTrue(first.contains("trigger events_no_update has been removed") || first.contains("event 1"), bad.stdout)
        XCTAssertTrue(bad.stdout.contains("event 1 does not match"), bad.stdout)
        XCTAssertTrue(bad.stdout.contains("checkpoint file"), bad.stdout)
    }

    func testTwoProcessesAppendingAtOnceKeepOneConsistentLog() throws {
        try ingestFixture()
        try addOfficer("PC-0", role: "evidence-officer")
        let before = try XCTUnwrap(json(try custody(["ledger", "log", "--json"])) as? [[String: Any]]).count
        let loop = "for i in $(seq 20); do '\(TestPaths.custodyBinary)' show EX-000001 --data '\(data)' --as PC-$1 "
            + ">/dev/null || exit 1; done"
        let results = ResultBox()
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            results.set(i, (try? runProcess("/bin/sh", ["-c", loop, "sh", String(i)]))?.status ?? -1)
        }
        XCTAssertEqual(results.all, [0, 0])
        let events = try XCTUnwrap(json(try custody(["ledger", "log", "--json"])) as? [[String: Any]])
        XCTAssertEqual(events.count, before + 40)
        XCTAssertEqual(events.map { $0["seq"] as? Int }, Array(0..<(before + 40)))
        XCTAssertEqual(events.filter { ($0["actor"] as? String) == "PC-0" }.count, 20)
        XCTAssertEqual(events.suffix(40).filter { ($0["actor"] as? String) == "PC-1" }.count, 20)
        let report = try XCTUnwrap(json(try custody(["ledger", "verify", "--json"])) as? [String: Any])
        XCTAssertEqual(report["intact"] as? Bool, true, "\(report)")
        XCTAssertEqual(report["uncovered_events"] as? Int, 0)
        XCTAssertGreaterThan(report["checkpoints"] as? Int ?? 0, 20, "each process checkpoints what it appended")
    }

    func testAMissingPublicKeyNamesTheCommandThatWritesItAgain() throws {
        try FileManager.default.removeItem(atPath: data + "/keys/ledger.pub")
        let r = try custody(["ledger", "checkpoint"])
        XCTAssertEqual(r.status, 3, r.stderr)
        XCTAssertTrue(r.stderr.contains("`custody init` with the same --data writes it again"), r.stderr)
        XCTAssertEqual(try custody(["init"]).status, 0)
        XCTAssertEqual(try custody(["ledger", "checkpoint"]).status, 0)
    }

    func testLedgerCommandsHaveHelpAndRejectBadInput() throws {
        for command in ["log", "checkpoint", "proof", "consistency", "key", "verify"] {
            let help = try custody(["ledger", command, "--help"])
            XCTAssertEqual(help.status, 0)
            XCTAssertTrue(help.stdout.contains("Usage: custody ledger \(command)"), help.stdout)
        }
        XCTAssertEqual(try custody(["ledger"]).status, 2)
        for (group, command) in [("ledger", "ledger verify"), ("device", "device revoke")] {
            let help = try custody([group, "--help"])
            XCTAssertEqual(help.status, 0, help.stderr)
            XCTAssertTrue(help.stdout.contains(command), help.stdout)
        }
        XCTAssertEqual(try custody(["ledger", "proof", "-1"]).status, 2)
        XCTAssertEqual(try custody(["ledger", "proof", "abc"]).status, 2)
        XCTAssertEqual(try custody(["ledger", "consistency", dir.file("nothing.cp")]).status, 2)
        // Files that are no checkpoint at all are bad input (2), not evidence of tampering (1).
        try "not a checkpoint\n".write(toFile: dir.file("junk.cp"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try custody(["ledger", "verify", "--checkpoint", dir.file("junk.cp")]).status, 2)
        XCTAssertEqual(try custody(["ledger", "consistency", dir.file("junk.cp")]).status, 2)
        let checkpoint = try custody(["ledger", "checkpoint"]).stdout
        try checkpoint.replacingOccurrences(of: "\n", with: "\r\n").write(toFile: dir.file("crlf.cp"), atomically: true,
                                                                       encoding: .utf8)
        let crlf = try custody(["ledger", "verify", "--checkpoint", dir.file("crlf.cp")])
        XCTAssertEqual(crlf.status, 2)
        XCTAssertTrue(crlf.stderr.contains("CRLF"), crlf.stderr)
        // The signature's unused base64 bits changed: the same signature bytes, but an altered note.
        var lines = checkpoint.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let signatureLine = lines[lines.count - 2]
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        let last = try XCTUnwrap(alphabet.firstIndex(of: Array(signatureLine)[signatureLine.count - 2]))
        lines[lines.count - 2] = String(signatureLine.dropLast(2)) + String(alphabet[last ^ 1]) + "="
        try lines.joined(separator: "\n").write(toFile: dir.file("altered.cp"), atomically: true, encoding: .utf8)
        let altered = try custody(["ledger", "verify", "--checkpoint", dir.file("altered.cp")])
        XCTAssertEqual(altered.status, 1, altered.stdout + altered.stderr)
        // A symlink to a large file is measured by what it points to.
        try Data(count: 1 << 20).write(to: URL(fileURLWithPath: dir.file("big.cp")))
        try FileManager.default.createSymbolicLink(atPath: dir.file("link.cp"), withDestinationPath: dir.file("big.cp"))
        let big = try custody(["ledger", "consistency", dir.file("link.cp")])
        XCTAssertEqual(big.status, 2)
        XCTAssertTrue(big.stderr.contains("too large"), big.stderr)
    }
}

final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var values = [Int: Int32]()
    func set(_ i: Int, _ v: Int32) { lock.lock(); values[i] = v; lock.unlock() }
    var all: [Int32] { lock.lock(); defer { lock.unlock() }; return values.keys.sorted().map { values[$0]! } }
}
