import Crypto
import CustodyCore
import Foundation
import ObjectStore
import Storage
import TestSupport
import XCTest

/// Object Lock following retention on moto's Object Lock bucket, through the `custody` binary: retention dates moved
/// later (never earlier) as rules lengthen, legal holds set and cleared with `hold add`/`remove`, work left while
/// the store cannot be used done by `store sync-locks`; a purge the lock refuses completes, reports the chunks kept,
/// and a later run deletes them once the lock ends; `store gc` on an Object Lock bucket.
final class S3LockCLITests: S3CLITestCase {
    let day: Double = 86_400
    let piece = 65_536

    /// Two files sharing their first chunk: A = X+Y, B = X+Z. Returns the chunk names X, Y, Z.
    func ingestTwoSharing() throws -> (x: SHA256Digest, y: SHA256Digest, z: SHA256Digest) {
        let x = Data(repeating: 1, count: piece), y = Data(repeating: 2, count: piece), z = Data(repeating: 3, count: piece)
        for (name, bytes) in [("a.bin", x + y), ("b.bin", x + z)] {
            try bytes.write(to: URL(fileURLWithPath: dir.file(name)))
            let r = try custody(["ingest", dir.file(name), "--device", "BW-1", "--chunk-size", String(piece)])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        return (SHA256.hash(x), SHA256.hash(y), SHA256.hash(z))
    }

    func lockState(_ chunk: SHA256Digest) throws -> ChunkLockState {
        try XCTUnwrap(try bucket("locked").lockState(chunk))
    }

    /// Days from now to the chunk's retention date.
    func daysLeft(_ chunk: SHA256Digest) throws -> Double {
        try XCTUnwrap(try lockState(chunk).retainUntil).timeIntervalSinceNow / day
    }

    func initLocked() throws {
        let r = try initialize(moto.storeURL("locked", prefix: prefix, extra: "&lock=governance"))
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func testRetentionDatesFollowTheRulesNeverShortenAndSharedChunksTakeTheLatest() throws {
        try initLocked()
        let (x, y, z) = try ingestTwoSharing()
        for chunk in [x, y, z] { XCTAssertEqual(try daysLeft(chunk), 31, accuracy: 0.1, "written for the default") }

        XCTAssertEqual(try custody(["category", "add", "evidential", "--keep", "7y"]).status, 0)
        let categorised = try custody(["exhibit", "categorise", "EX-000001", "evidential"])
        XCTAssertEqual(categorised.status, 0, categorised.stderr)
        XCTAssertEqual(try daysLeft(x), 7 * 365, accuracy: 1)
        XCTAssertEqual(try daysLeft(y), 7 * 365, accuracy: 1)
        XCTAssertEqual(try daysLeft(z), 31, accuracy: 0.1, "B's own chunk follows B's rule")

        // A shorter rule leaves the dates: B's shared chunk keeps A's 7 years, its own chunk its 31 days.
        XCTAssertEqual(try custody(["category", "add", "brief", "--keep", "2d"]).status, 0)
        XCTAssertEqual(try custody(["exhibit", "categorise", "EX-000002", "brief"]).status, 0)
        XCTAssertEqual(try daysLeft(x), 7 * 365, accuracy: 1)
        XCTAssertEqual(try daysLeft(z), 31, accuracy: 0.1)

        // A period lengthened moves every chunk of its exhibits.
        XCTAssertEqual(try custody(["category", "add", "evidential", "--keep", "10y"]).status, 0)
        XCTAssertEqual(try daysLeft(x), 10 * 365, accuracy: 1)
        XCTAssertEqual(try daysLeft(y), 10 * 365, accuracy: 1)

        // An open case keeps B without end: its chunks are locked a month ahead, whatever its 2-day category says.
        XCTAssertEqual(try custody(["case", "create", "CPS/2026/9"]).status, 0)
        XCTAssertEqual(try custody(["case", "add", "CPS/2026/9", "EX-000002"]).status, 0)
        XCTAssertEqual(try daysLeft(z), 31, accuracy: 0.1)
        XCTAssertEqual(try daysLeft(x), 10 * 365, accuracy: 1, "the latest any exhibit needs")
        XCTAssertEqual(try custody(["verify"]).status, 0)
    }

    func testLegalHoldsFollowHoldsAndWorkLeftWhileTheStoreCannotBeUsedIsDoneLater() throws {
        try initLocked()
        let (x, y, z) = try ingestTwoSharing()
        XCTAssertEqual(try custody(["hold", "add", "EX-000002", "--reason", "IOPC referral"]).status, 0)
        XCTAssertEqual(try [x, y, z].map { try lockState($0).legalHold }, [true, false, true])
        XCTAssertEqual(try custody(["case", "create", "CPS/2026/1"]).status, 0)
        XCTAssertEqual(try custody(["case", "add", "CPS/2026/1", "EX-000001"]).status, 0)
        XCTAssertEqual(try custody(["hold", "add", "CPS/2026/1", "--reason", "trial"]).status, 0)
        XCTAssertEqual(try [x, y, z].map { try lockState($0).legalHold }, [true, true, true])
        // Removing B's hold clears only what no other hold covers: X stays held for A's case.
        XCTAssertEqual(try custody(["hold", "remove", "EX-000002", "--reason", "closed"]).status, 0)
        XCTAssertEqual(try [x, y, z].map { try lockState($0).legalHold }, [true, true, false])

        // The store cannot be used (a wrong secret): the hold's removal stands, the work waits, no secret is shown.
        let file = dir.file("data/keys/s3.credentials")
        let good = try String(contentsOfFile: file, encoding: .utf8)
        let secret = "wrongSECRETvalue0123456789abcdefXYZ"
        try good.replacingOccurrences(of: moto.started.secretAccessKey, with: secret)
            .write(toFile: file, atomically: false, encoding: .utf8)
        let removed = try custody(["hold", "remove", "CPS/2026/1", "--reason", "verdict"])
        XCTAssertEqual(removed.status, 0, removed.stderr)
        XCTAssertTrue(removed.stderr.contains("store sync-locks"), removed.stderr)
        XCTAssertFalse((removed.stdout + removed.stderr).contains(secret))
        XCTAssertEqual(try sqliteLines("SELECT count(*) FROM holds WHERE removed_at IS NULL"), ["0"])
        XCTAssertEqual(try [x, y].map { try lockState($0).legalHold }, [true, true], "not reached yet")
        let show = try XCTUnwrap(try json(try custody(["store", "show", "--json"])) as? [String: Any])
        XCTAssertEqual(show["reachable"] as? Bool, false)
        XCTAssertEqual(show["lock"] as? String, "GOVERNANCE")
        XCTAssertFalse("\(show)".contains(secret) || "\(show)".contains(moto.started.secretAccessKey))

        try good.write(toFile: file, atomically: false, encoding: .utf8)
        let synced = try XCTUnwrap(try json(try custody(["store", "sync-locks", "--json"])) as? [String: Any])
        XCTAssertEqual(synced["released"] as? Int, 2)
        XCTAssertEqual(try [x, y, z].map { try lockState($0).legalHold }, [false, false, false])
        let again = try XCTUnwrap(try json(try custody(["store", "sync-locks", "--json"])) as? [String: Any])
        XCTAssertEqual([again["extended"], again["held"], again["released"]] as? [Int], [0, 0, 0], "nothing left")
        XCTAssertEqual(try XCTUnwrap(try json(try custody(["store", "show", "--json"])) as? [String: Any])["reachable"]
                       as? Bool, true)
    }

    func testAPurgeTheLockRefusesCompletesAndALaterRunDeletesTheChunksOnceTheLockEnds() throws {
        try initLocked()
        let path = dir.file("old.bin")
        try Data(repeating: 7, count: 3 * piece).write(to: URL(fileURLWithPath: path))
        try OldRecording.ingest(path, into: data, as: .officer(Self.supervisor), chunkSize: piece)
        let chunk = SHA256.hash(Data(repeating: 7, count: piece))
        XCTAssertEqual(try custody(["retention", "run"]).status, 0)
        _ = try sqliteLines("UPDATE deletions SET deleted_at = 0")  // deleted long ago: due to be purged

        let purge = try XCTUnwrap(try json(try custody(["retention", "run", "--json"])) as? [String: Any])
        XCTAssertEqual((purge["purged"] as? [[String: Any]])?.first?["id"] as? String, "EX-000001")
        let locked = try XCTUnwrap(purge["locked_chunks"] as? [[String: Any]])
        XCTAssertEqual(locked.map { $0["chunk"] as? String }, [chunk.hex])
        let until = try XCTUnwrap(Timestamp.parse(try XCTUnwrap(locked.first?["locked_until"] as? String)))
        XCTAssertEqual(until.timeIntervalSinceNow / day, 31, accuracy: 0.1)
        XCTAssertEqual(try allNames(bucket("locked")), [chunk], "kept by its lock")
        XCTAssertEqual(try sqliteLines("SELECT freed FROM deletions"), ["1"])

        // gc sees it unreferenced and old enough, and is refused the same way. LastModified has whole seconds:
        // an object written within the last one or two may not count as older than 0 s yet.
        Thread.sleep(forTimeInterval: 2.1)
        let gc = try XCTUnwrap(try json(try custody(["store", "gc", "--older-than", "0s", "--json"])) as? [String: Any])
        XCTAssertEqual((gc["locked"] as? [[String: Any]])?.map { $0["chunk"] as? String }, [chunk.hex])
        XCTAssertEqual(gc["deleted"] as? [String], [])

        // An administrator with the bypass permission ends the GOVERNANCE lock now; the next run deletes it.
        try endGovernanceLock(chunk)
        let later = try XCTUnwrap(try json(try custody(["retention", "run", "--json"])) as? [String: Any])
        XCTAssertEqual(later["chunks_freed_after_lock"] as? Int, 1)
        XCTAssertEqual((later["locked_chunks"] as? [Any])?.count, 0)
        XCTAssertEqual(try allNames(bucket("locked")), [])
        XCTAssertEqual(try sqliteLines("SELECT count(*) FROM locked_deletions"), ["0"])
        XCTAssertEqual(try custody(["verify"]).status, 0)
        XCTAssertEqual(try custody(["ledger", "verify"]).status, 0)
    }

    func testGCInAPlainBucketDeletesOnlyUnreferencedObjectsOlderThanTheGrace() throws {
        XCTAssertEqual(try initialize(moto.storeURL("plain", prefix: prefix)).status, 0)
        let (x, y, z) = try ingestTwoSharing()
        let orphan = [UInt8](repeating: 9, count: 1000)
        let plain = try bucket("plain")
        try orphan.withUnsafeBytes { try plain.put(SHA256.hash($0), $0) }
        try plain.sync()
        let events = try sqliteLines("SELECT count(*) FROM events")

        // Written just now: an ingest may be on its way to cataloguing it.
        let young = try XCTUnwrap(try json(try custody(["store", "gc", "--json"])) as? [String: Any])
        XCTAssertEqual(young["listed"] as? Int, 4)
        XCTAssertEqual(young["young_unreferenced"] as? Int, 1)
        XCTAssertEqual(young["deleted"] as? [String], [])
        Thread.sleep(forTimeInterval: 2.1)  // LastModified is in whole seconds: now the orphan is older than 0s
        let dry = try XCTUnwrap(try json(try custody(["store", "gc", "--older-than", "0s", "--dry-run", "--json"]))
                                as? [String: Any])
        XCTAssertEqual(dry["deleted"] as? [String], [SHA256.hash(orphan).hex])
        XCTAssertEqual(try sqliteLines("SELECT count(*) FROM events"), events, "gc records nothing unless it deletes")
        XCTAssertEqual(Set(try allNames(plain)), [x, y, z, SHA256.hash(orphan)])

        let gc = try XCTUnwrap(try json(try custody(["store", "gc", "--older-than", "0s", "--json"])) as? [String: Any])
        XCTAssertEqual(gc["deleted"] as? [String], [SHA256.hash(orphan).hex])
        XCTAssertEqual(Set(try allNames(plain)), [x, y, z], "what exhibits name stays")
        XCTAssertEqual(try sqliteLines("SELECT action || ' ' || json_extract(details, '$.change') || ' ' || "
                                       + "json_extract(details, '$.candidates') FROM events ORDER BY seq DESC LIMIT 1"),
                       ["retention store gc 1"])
        XCTAssertEqual(try custody(["verify"]).status, 0)
    }

    /// Moves the chunk's GOVERNANCE date to a second from now (`x-amz-bypass-governance-retention`) and waits
    /// for it to pass.
    func endGovernanceLock(_ chunk: SHA256Digest) throws {
        let store = try bucket("locked")
        let body = Array(("<Retention xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Mode>GOVERNANCE</Mode>"
            + "<RetainUntilDate>\(Timestamp.rfc3339(Date().addingTimeInterval(1)))</RetainUntilDate></Retention>").utf8)
        var request = S3Client.Request("PUT", key: chunk.hex, operation: "bypass")
        request.query = [("retention", "")]
        request.payloadHash = SHA256.hash(body).hex
        request.fields = [("Content-MD5", body.withUnsafeBytes { Base64.encode(MD5.hash($0)) }),
                          ("x-amz-bypass-governance-retention", "true")]
        _ = try body.withUnsafeBytes { try store.client.perform(request, body: $0) }
        Thread.sleep(forTimeInterval: 2)
        XCTAssertLessThan(try XCTUnwrap(try lockState(chunk).retainUntil), Date())
    }
}
