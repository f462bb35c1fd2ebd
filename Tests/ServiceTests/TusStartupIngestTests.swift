import CustodyCore
import Crypto
import Foundation
import Ledger
import TestSupport
import Uploads
import XCTest
@testable import Service
@testable import Vault

/// Uploads whose last byte arrived before a restart are ingested after the service listens; a
/// service stopping meanwhile does not wait for that ingest.
final class TusStartupIngestTests: TusTestCase {
    let bytes = (0..<((4 << 20) + 5000)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    var pending: Upload!
    /// Signalled by the start-up ingest once it holds the upload; it then waits for `release`.
    let held = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)

    override func beforeStart() throws {
        pending = try receivedUpload(bytes, store: try UploadStore(vault: vault))
    }

    override func prepare(_ service: CustodyService) {
        service.tus.startupIngests.whileHeld = { [held, release] _ in
            held.signal()
            release.wait()
        }
    }

    override func tearDown() {
        release.signal()  // a test that failed before letting the ingest go on
        super.tearDown()
    }

    func state() throws -> Upload.State? { try UploadStore(vault: vault).get(pending.id)?.state }

    func testTheServiceListensWhileAPendingIngestRuns() throws {
        XCTAssertEqual(held.wait(timeout: .now() + 10), .success, "the start-up ingest holds the upload")
        let health = try curl("GET", "http://127.0.0.1:\(port)/healthz", token: nil, tusVersion: nil)
        XCTAssertEqual(health.status, 200, health.body)
        // Meanwhile the dock sees its upload fully received, and cannot write to it.
        let head = try curl("HEAD", pending.id, token: token1)
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.headers["upload-offset"], String(bytes.count))
        XCTAssertNil(head.headers["custody-exhibit"])
        let patch = try curl("PATCH", pending.id, token: token1, headers: [octets, "Upload-Offset: \(bytes.count)"])
        XCTAssertEqual(patch.status, 423, patch.body)
        XCTAssertEqual(try events().last?.details["status"], "423", "recorded as the dock's refusal")
        XCTAssertEqual(try state(), .active)

        release.signal()
        try waitUntil("the start-up ingest") { try state() == .completed }
        XCTAssertEqual(try vault.catalog.all().map(\.sha256), [SHA256.hash(bytes)])
        let after = try curl("HEAD", pending.id, token: token1)
        XCTAssertNotNil(after.headers["custody-exhibit"])
        XCTAssertEqual(try events().filter { $0.details["change"] == "completed" }.count, 1, "ingested once")
    }

    func testAStoppingServiceDoesNotWaitForTheIngestAndTheNextStartDoesIt() throws {
        XCTAssertEqual(held.wait(timeout: .now() + 10), .success, "the start-up ingest holds the upload")
        let stopped = DispatchSemaphore(value: 0)
        DispatchQueue.global().async { [service, stopped] in
            service?.shutdown()
            service?.waitUntilStopped()
            stopped.signal()
        }
        try waitUntil("the service stopping its start-up ingests") { service.tus.startupIngests.isStopping }
        release.signal()  // the ingest goes on, and must notice before it reads the recording
        XCTAssertEqual(stopped.wait(timeout: .now() + 20), .success, "the service stopped")
        service = nil
        let store = try UploadStore(vault: vault)
        let kept = try XCTUnwrap(store.get(pending.id))
        XCTAssertEqual(kept.state, .active)
        XCTAssertEqual(kept.offset, Int64(bytes.count))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.dataPath(pending.id)).sorted(),
                       ["p000000", "p000001"], "the pieces are where they were")
        XCTAssertFalse(try events().contains { $0.details["change"] == "completed" })

        service = try CustodyService(configuration: ServiceConfiguration(directory: directory, port: 0),
                                     log: Log(minimum: .warning))
        port = try service.start()
        try waitUntil("the next start's ingest") { try state() == .completed }
        XCTAssertEqual(try vault.catalog.all().map(\.sha256), [SHA256.hash(bytes)])
    }
}
