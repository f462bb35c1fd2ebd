import CustodyCore
import Foundation
import Ledger
import TestSupport
import XCTest
@testable import Service
@testable import Vault

final class ServiceTests: XCTestCase {
    var dir: TemporaryDirectory!
    var directory: DataDirectory!
    var service: CustodyService!
    var port: UInt16 = 0

    override func setUpWithError() throws {
        dir = TemporaryDirectory("custody-service")
        directory = DataDirectory(root: dir.file("data"))
        _ = try Vault.initialize(directory, org: "test", actor: .system)  // one event; no officer acts here
        service = try CustodyService(configuration: ServiceConfiguration(directory: directory, port: 0,
                                                                         checkpointInterval: 0.2),
                                     log: Log(minimum: .warning))
        port = try service.start()
    }

    override func tearDown() {
        service?.shutdown()
        service?.waitUntilStopped()
        service = nil
        dir?.remove()
    }

    func curl(_ args: [String]) throws -> ProcessResult {
        try runProcess(try XCTUnwrap(which("curl")), ["-s", "--max-time", "10"] + args)
    }

    func testHealthMetricsAndUnknownRoutesOverLoopback() throws {
        let health = try curl(["-i", "http://127.0.0.1:\(port)/healthz"])
        XCTAssertTrue(health.stdout.hasPrefix("HTTP/1.1 200"), health.stdout)
        XCTAssertTrue(health.stdout.contains(#"{"events":1,"status":"ok"}"#), health.stdout)
        XCTAssertEqual(try curl(["-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/nowhere"]).stdout, "404")
        XCTAssertEqual(try curl(["-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                                 "http://127.0.0.1:\(port)/healthz"]).stdout, "405")
        let metrics = try curl(["http://127.0.0.1:\(port)/metrics"]).stdout
        XCTAssertTrue(metrics.contains("custody_http_requests_total{route=\"healthz\",status=\"200\"} 1\n"), metrics)
        XCTAssertTrue(metrics.contains("custody_http_requests_total{route=\"other\",status=\"404\"} 1\n"), metrics)
        XCTAssertTrue(metrics.contains("# TYPE custody_http_request_seconds histogram"), metrics)
    }

    func testHealthReports503WhenTheCatalogIsGone() throws {
        try FileManager.default.removeItem(atPath: directory.database)
        let health = try curl(["-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/healthz"])
        XCTAssertEqual(health.stdout, "503")
    }

    func testEventsAppendedElsewhereAreCheckpointedWithinTheInterval() throws {
        let other = try Vault(directory: directory)  // as the CLI would, without checkpointing itself
        try other.events.append((0..<5).map { _ in CustodyEvent(actor: .officer("PC-2"), action: .view) })
        let deadline = Date().addingTimeInterval(5)
        while try other.events.latestCheckpoint()?.size != 6, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        XCTAssertEqual(try other.events.latestCheckpoint()?.size, 6)
        // One appended just before shutdown is covered by the final checkpoint.
        try other.events.append(CustodyEvent(actor: .officer("PC-2"), action: .view))
        service.shutdown()
        service.waitUntilStopped()
        service = nil
        XCTAssertEqual(try other.events.latestCheckpoint()?.size, 7)
        XCTAssertTrue(try other.events.verify(verifier: other.noteVerifier()).isIntact)
    }
}
