import Crypto
import CustodyCore
import Foundation
import ObjectStore
import Storage
import TestSupport
import XCTest

/// Review of the early pieces (h-rev): an early PUT that finds an exhibit's object damaged writes it again, and
/// that repair must reach the ledger even when the upload that made it never completes (`verify` cannot see the
/// damage afterwards).
extension S3EarlyUploadCLITests {
    /// Tampering behind custody's back: other bytes PUT under the chunk's name, straight to the bucket.
    func tamper(_ store: S3ChunkStore, _ digest: SHA256Digest) throws {
        let bytes = Array("tampered".utf8)
        var request = S3Client.Request("PUT", key: digest.hex, operation: "tampering")
        request.payloadHash = SHA256.hash(bytes).hex
        _ = try bytes.withUnsafeBytes { try store.client.perform(request, body: $0) }
    }

    /// tus termination of upload `id` by the dock; returns the HTTP status.
    func terminateUpload(port: Int, token: String, _ id: String) throws -> String {
        let script = """
            import sys, requests
            r = requests.delete(f"http://127.0.0.1:{sys.argv[1]}/files/{sys.argv[3]}",
                                headers={"Authorization": f"Bearer {sys.argv[2]}", "Tus-Resumable": "1.0.0"})
            print(r.status_code)
            """
        let r = try runProcess(TestPaths.python, ["-c", script, String(port), token, id])
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// EX-000001's first chunk is damaged in the bucket; the dock sends the same recording again, 9 of 10 MiB,
    /// and abandons it. Its early PUT found the damage and wrote the chunk again: the ledger must say so, as a
    /// completion's `adopt` would have (`recordRepairs`). `settle` hands it to the ledger.
    func testARepairMadeEarlyIsRecordedWhenItsUploadIsAbandoned() throws {
        try repairEarly(abandon: true)
    }

    /// The same with the second upload completed (a duplicate of EX-000001): passes today, and shows the query
    /// above finds the event a completion writes (once).
    func testARepairMadeEarlyIsRecordedWhenItsUploadCompletes() throws {
        try repairEarly(abandon: false)
    }

    func repairEarly(abandon: Bool, file: StaticString = #filePath, line: UInt = #line) throws {
        let (token, recording) = try vaultWithRecording(s3.storeURL("plain", prefix: prefix))
        let (daemon, port, _) = try serve()
        defer { daemon.terminate(); daemon.waitUntilExit() }
        let first = try tus(port: port, token: token, recording)
        try checkCompleted(recording, bucket: "plain", upload: first)
        let plain = try bucket("plain")
        let damaged = try XCTUnwrap(SHA256Digest(hex: try wholePieces(recording)[0]))
        try tamper(plain, damaged)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: ChunkSize.standard, alignment: 16)
        defer { buffer.deallocate() }
        XCTAssertThrowsError(try plain.readChecked(damaged, into: buffer), "EX-000001's chunk is damaged")

        let second = try tus(port: port, token: token, recording, stopAt: 9 << 20)
        eventually(timeout: 30) { (try? plain.readChecked(damaged, into: buffer)) != nil }  // the early PUT's repair
        if abandon {
            XCTAssertEqual(try terminateUpload(port: port, token: token, second), "204")
            XCTAssertEqual(try sqliteLines("SELECT state FROM uploads WHERE id = '\(second)'"), ["terminated"])
        } else {
            _ = try tus(port: port, token: token, recording, resuming: second)
            eventually(timeout: 30) {
                (try? self.sqliteLines("SELECT state FROM uploads WHERE id = '\(second)'")) == ["completed"]
            }
        }
        XCTAssertEqual(try sqliteLines("""
            SELECT count(*) FROM events WHERE json_extract(details, '$.repaired') = 'true'
            AND json_extract(details, '$.chunk') = '\(damaged.hex)'
            """), ["1"], "the damage to EX-000001's chunk, repaired by the second upload, is in the ledger",
            file: file, line: line)
    }
}
