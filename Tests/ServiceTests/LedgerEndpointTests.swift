import CustodyCore
import Foundation
import Ledger
import TestSupport
import XCTest
@testable import Service
@testable import Vault

/// The public ledger endpoints over real HTTP on loopback, checked as a recipient would: with the
/// Ledger module's verifier and with openssl. The checkpointer never runs (its interval is an hour),
/// so the test signs every checkpoint itself; the vault signed one of 2 events at init (its `init` event and
/// the first supervisor's registration), and the two docks added since make 4 events.
final class LedgerEndpointTests: TusTestCase {
    override func configure(_ c: inout ServiceConfiguration) { c.checkpointInterval = 3600 }

    struct Answer {
        let status: Int
        let headers: String
        let body: String
        /// Body bytes received (curl's `size_download`; with `-I` curl writes the head to the output file).
        let bodyBytes: Int
    }

    /// One request with curl; the body exactly as received.
    func fetch(_ target: String, _ extra: [String] = []) throws -> Answer {
        let headers = dir.file("headers.txt"), body = dir.file("body.bin")
        try? FileManager.default.removeItem(atPath: body)
        let r = try runProcess(try XCTUnwrap(which("curl")), ["-s", "--max-time", "10", "-D", headers, "-o", body,
                                                              "-w", "%{http_code} %{size_download}"] + extra
                                                              + ["http://127.0.0.1:\(port)\(target)"])
        let text = (try? String(contentsOfFile: body, encoding: .utf8)) ?? ""
        let written = r.stdout.split(separator: " ")
        return Answer(status: Int(written.first ?? "") ?? -1,
                      headers: try String(contentsOfFile: headers, encoding: .utf8), body: text,
                      bodyBytes: Int(written.last ?? "") ?? -1)
    }

    /// `count` more events, then a checkpoint covering them; returns its note.
    func grow(by count: Int) throws -> String {
        try vault.events.append((0..<count).map { _ in CustodyEvent(actor: .officer("PC-2"), action: .view) })
        return try XCTUnwrap(try vault.checkpoint()).note
    }

    func verifier() throws -> NoteVerifier {
        let key = try fetch("/ledger/key")
        XCTAssertEqual(key.status, 200)
        return try NoteVerifier(vkey: String(key.body.split(separator: "\n")[0]))
    }

    func testCheckpointIsTheStoredNoteAndVerifiesWithTheKeyAndOpenSSL() throws {
        let note = try grow(by: 5)
        let events = try Vault.health(of: directory).events
        let answer = try fetch("/ledger/checkpoint")
        XCTAssertEqual(answer.status, 200)
        XCTAssertEqual(answer.body, note, "exactly the stored note, byte for byte")
        XCTAssertEqual(answer.body, try vault.latestCheckpoint(for: .officer("PC-1")).stored.note,
                       "what `custody ledger checkpoint` prints")
        XCTAssertTrue(answer.headers.lowercased().contains("content-type: text/plain; charset=utf-8"), answer.headers)
        XCTAssertTrue(answer.headers.lowercased().contains("cache-control: no-cache"), answer.headers)
        let verifier = try verifier()
        XCTAssertEqual(verifier.vkey, try vault.noteVerifier().vkey)
        XCTAssertEqual(try Checkpoint.open(answer.body, verifier: verifier).size, 9)

        // The README's recipe, with the PEM the same endpoint serves after the vkey line.
        try answer.body.write(toFile: dir.file("checkpoint.txt"), atomically: true, encoding: .utf8)
        let recipe = """
            set -e
            cd '\(dir.path)'
            curl -s http://127.0.0.1:\(port)/ledger/key | tail -n +2 > ledger.pub
            head -n 3 checkpoint.txt > body.txt
            tail -n 1 checkpoint.txt | cut -d' ' -f3 | base64 -d | tail -c +5 > sig.bin
            openssl pkeyutl -verify -pubin -inkey ledger.pub -rawin -in body.txt -sigfile sig.bin
            cmp ledger.pub data/keys/ledger.pub
            """
        let r = try runProcess("/bin/sh", ["-c", recipe])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "Signature Verified Successfully\n")
        XCTAssertEqual(try Vault.health(of: directory).events, events, "reads record no event")
    }

    /// After `rotate-key ledger` the service signs with the new key at once, and /ledger/keys lists it
    /// first, then the retired one, with which an earlier checkpoint still opens.
    func testKeysListsTheCurrentThenTheRetiredKeysAfterARotation() throws {
        let old = try grow(by: 2)
        let oldVkey = try verifier().vkey
        XCTAssertEqual(try fetch("/ledger/keys").body, oldVkey + "\n")
        _ = try vault.addOfficer("SUP-1", name: "A Supervisor", role: .supervisor, by: .system)
        let newVkey = try vault.rotateLedgerKey(reason: "test", by: .officer("SUP-1"), now: 1_800_000_000)
        XCTAssertEqual(try verifier().vkey, newVkey)
        let keys = try fetch("/ledger/keys")
        XCTAssertEqual(keys.status, 200)
        // The retired key's line ends with the size of the last checkpoint it signed (covering the rotation).
        let last = try XCTUnwrap(try vault.events.latestCheckpoint()).size
        XCTAssertEqual(keys.body, newVkey + "\n" + oldVkey + " \(last)\n")
        let all = try NoteVerifier(published: keys.body)
        XCTAssertEqual(all.retired.map(\.lastCheckpointSize), [last])
        XCTAssertNoThrow(try Checkpoint.open(old, verifier: all))
        XCTAssertNoThrow(try Checkpoint.open(try grow(by: 1), verifier: all))
        XCTAssertThrowsError(try Checkpoint.open(old, verifier: try NoteVerifier(vkey: newVkey)))
    }

    func testHeadGivesTheHeadOnly() throws {
        let note = try grow(by: 2)
        let head = try fetch("/ledger/checkpoint", ["-I"])
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.bodyBytes, 0)
        XCTAssertFalse(head.body.contains(note), "curl -I wrote only the head")
        XCTAssertTrue(head.headers.lowercased().contains("content-length: \(note.utf8.count)\r\n"), head.headers)
        XCTAssertEqual(try fetch("/ledger/consistency?from=1", ["-I"]).status, 200)
        XCTAssertEqual(try fetch("/ledger/key", ["-I"]).status, 200)
    }

    func testConsistencyProofsVerifyAgainstTheOldAndNewRoots() throws {
        let first = try fetch("/ledger/checkpoint").body  // size 2, signed at init
        let middle = try grow(by: 5)
        let newest = try grow(by: 3)
        let verifier = try verifier()
        for old in [first, middle] {
            let opened = try Checkpoint.open(old, verifier: verifier)
            let answer = try fetch("/ledger/consistency?from=\(opened.size)")
            XCTAssertEqual(answer.status, 200, answer.body)
            XCTAssertTrue(answer.headers.lowercased().contains("cache-control: no-cache"), answer.headers)
            let proof = try ConsistencyProof(parsing: answer.body)
            XCTAssertEqual(proof.checkpoint, newest)
            XCTAssertFalse(proof.hashes.isEmpty)
            XCTAssertEqual(try proof.verify(old: opened, verifier: verifier).size, 12)
            // The same proof does not pass for another old tree.
            let other = try Checkpoint.open(old == first ? middle : first, verifier: verifier)
            XCTAssertThrowsError(try proof.verify(old: other, verifier: verifier))
        }
        // A size no checkpoint has is proved against the tree's own root at that size.
        let three = try ConsistencyProof(parsing: try fetch("/ledger/consistency?from=3").body)
        XCTAssertEqual(try three.verify(oldRoot: vault.events.root(size: 3), verifier: verifier).size, 12)
        // The newest size itself: an empty proof, valid.
        let same = try ConsistencyProof(parsing: try fetch("/ledger/consistency?from=12").body)
        XCTAssertEqual(same.hashes, [])
        XCTAssertEqual(try same.verify(old: Checkpoint.open(newest, verifier: verifier), verifier: verifier).size, 12)
        // `to` names a stored checkpoint.
        let toMiddle = try ConsistencyProof(parsing: try fetch("/ledger/consistency?from=2&to=9").body)
        XCTAssertEqual(toMiddle.checkpoint, middle)
        XCTAssertEqual(try toMiddle.verify(old: Checkpoint.open(first, verifier: verifier), verifier: verifier).size, 9)
        // The README's recipient: the newer checkpoint is what follows the proof's first blank line.
        let recipe = """
            set -e
            cd '\(dir.path)'
            curl -s 'http://127.0.0.1:\(port)/ledger/consistency?from=1' > proof.txt
            sed '1,/^$/d' proof.txt > checkpoint.txt
            head -n 3 checkpoint.txt > body.txt
            tail -n 1 checkpoint.txt | cut -d' ' -f3 | base64 -d | tail -c +5 > sig.bin
            openssl pkeyutl -verify -pubin -inkey data/keys/ledger.pub -rawin -in body.txt -sigfile sig.bin
            """
        let r = try runProcess("/bin/sh", ["-c", recipe])
        XCTAssertEqual(r.stdout, "Signature Verified Successfully\n", r.stderr)
        XCTAssertEqual(try String(contentsOfFile: dir.file("checkpoint.txt"), encoding: .utf8), newest)
        // What `custody ledger consistency` prints for the same old checkpoint is the same proof.
        XCTAssertEqual(try vault.consistencyProof(from: first, label: "first", for: .officer("PC-1")).proof.text,
                       try fetch("/ledger/consistency?from=2").body)
    }

    func testBadQueriesGet400AndRecordNothing() throws {
        _ = try grow(by: 6)  // newest checkpoint: 10 events
        let events = try Vault.health(of: directory).events
        let bad = ["", "?", "?from=", "?from=abc", "?from=-1", "?from=+1", "?from=01", "?from=0", "?from=11",
                   "?from=1.0", "?from=%31", "?from=99999999999999999999999", "?from=9223372036854775808",
                   "?from=1&from=1", "?from=1&x=2", "?to=6", "?from=1&", "?from=7&to=2", "?from",
                   "?from=1&to=" + String(repeating: "9", count: 60)]
        for query in bad {
            let answer = try fetch("/ledger/consistency" + query)
            XCTAssertEqual(answer.status, 400, query)
            XCTAssertTrue(answer.body.contains("from") || answer.body.contains("query"), "\(query): \(answer.body)")
        }
        XCTAssertTrue(try fetch("/ledger/consistency?from=11").body.contains("between 1 and 10"))
        let noSuch = try fetch("/ledger/consistency?from=1&to=5")
        XCTAssertEqual(noSuch.status, 404, "to must be a stored checkpoint's size")
        XCTAssertEqual(noSuch.body, "no stored checkpoint has size 5\n")
        XCTAssertEqual(try Vault.health(of: directory).events, events, "refused reads record no event either")
    }

    func testOnlyGetAndHeadAndUnknownLedgerPathsAre404() throws {
        for (method, path) in [("POST", "/ledger/checkpoint"), ("PUT", "/ledger/key"),
                               ("DELETE", "/ledger/consistency?from=1"), ("PATCH", "/ledger/checkpoint")] {
            let answer = try fetch(path, ["-X", method])
            XCTAssertEqual(answer.status, 405, "\(method) \(path)")
            XCTAssertTrue(answer.headers.contains("Allow: GET, HEAD\r\n"), answer.headers)
        }
        for path in ["/ledger", "/ledger/", "/ledger/nothing", "/ledger/checkpoint/1", "/ledger/Checkpoint"] {
            let answer = try fetch(path)
            XCTAssertEqual(answer.status, 404, path)
            XCTAssertTrue(answer.body.hasPrefix("no such ledger endpoint"), answer.body)
        }
        let metrics = try fetch("/metrics").body
        XCTAssertTrue(metrics.contains("custody_http_requests_total{route=\"ledger\",status=\"404\"} 5\n"), metrics)
    }

    func testALedgerWithoutACheckpointIs404() throws {
        // Every vault signs one at init; one whose checkpoints are gone stands for a ledger without any.
        try vault.db.execute("DROP TRIGGER checkpoints_no_delete; DELETE FROM checkpoints;")
        let answer = try fetch("/ledger/checkpoint")
        XCTAssertEqual(answer.status, 404)
        XCTAssertEqual(answer.body, "the ledger has no signed checkpoint yet\n")
        XCTAssertEqual(try fetch("/ledger/consistency?from=1").status, 404)
        XCTAssertEqual(try fetch("/ledger/key").status, 200, "the key is there all the same")
    }
}
