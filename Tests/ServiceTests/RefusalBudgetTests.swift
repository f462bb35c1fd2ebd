import CustodyCore
import Foundation
import HTTPServer
import Ledger
import TestSupport
import XCTest
@testable import Service

final class RefusalBudgetTests: XCTestCase {
    func testABurstIsRecordedOneByOneAndTheRestCountedIntoOneSummaryPerWindow() {
        let budget = RefusalBudget(burst: 2, window: 10)
        XCTAssertEqual((0..<5).map { budget.admit(peer: "192.0.2.7", now: Double($0)).record },
                       [true, true, false, false, false])
        XCTAssertFalse(budget.admit(peer: "[2001:db8::1]", now: 5).record)
        XCTAssertNil(budget.endedWindow(now: 9.9), "the window is still open")
        let summary = budget.endedWindow(now: 10)
        XCTAssertEqual(summary?.attempts, 4)
        XCTAssertEqual(summary?.byPeer, ["192.0.2.7": 3, "[2001:db8::1]": 1])
        XCTAssertEqual(summary?.details(window: 10)["peers"], "192.0.2.7=3,[2001:db8::1]=1")
        XCTAssertNil(budget.endedWindow(now: 30), "each attempt is in one summary only")

        // A new window: recorded one by one again; an ended window's summary comes with the next refusal.
        XCTAssertTrue(budget.admit(peer: "a", now: 40).record)
        XCTAssertTrue(budget.admit(peer: "a", now: 41).record)
        XCTAssertFalse(budget.admit(peer: "a", now: 42).record)
        let next = budget.admit(peer: "b", now: 50)
        XCTAssertTrue(next.record)
        XCTAssertEqual(next.summary?.attempts, 1)
    }

    func testPeersBeyondTheLimitAreSummedAndTheHostDropsThePort() {
        let budget = RefusalBudget(burst: 0, window: 10)
        for i in 0..<(RefusalBudget.maxPeers + 5) { _ = budget.admit(peer: "peer\(i)", now: 0) }
        let summary = budget.endedWindow(now: 10)
        XCTAssertEqual(summary?.attempts, RefusalBudget.maxPeers + 5)
        XCTAssertEqual(summary?.byPeer.count, RefusalBudget.maxPeers)
        XCTAssertEqual(summary?.otherPeers, 5)
        XCTAssertEqual(summary?.details(window: 10)["attempts_from_other_peers"], String(RefusalBudget.maxPeers - 5))
        XCTAssertEqual(HTTPConnectionInfo.host(of: "192.0.2.7:53211"), "192.0.2.7")
        XCTAssertEqual(HTTPConnectionInfo.host(of: "[::1]:8080"), "[::1]")
    }
}

/// A peer without a token cannot grow the ledger without bound, and none of its attempts goes uncounted.
final class TusRefusalFloodTests: TusTestCase {
    let clock = ManualClock()

    override func configure(_ c: inout ServiceConfiguration) {
        c.clock = clock.clock
        c.refusalsRecordedPerWindow = 2
        c.refusalWindow = 4
        c.sweepInterval = 3600  // no round but those the test runs
    }

    func testRefusedAttemptsBeyondTheBurstAreSummarisedByTheSweeper() throws {
        let before = try events().count
        for _ in 0..<6 { XCTAssertEqual(try curl("HEAD", "0123456789abcdef0123456789abcdef", token: "wrong").status, 401) }
        let oneByOne = try events().dropFirst(before)
        XCTAssertEqual(oneByOne.count, 2, "two recorded one by one")
        clock.advance(by: 3)
        service.sweepNow()
        XCTAssertEqual(try events().count, before + 2, "a second before the window ends, nothing is summarised")
        clock.advance(by: 1)
        service.sweepNow()
        let s = try XCTUnwrap(try events().dropFirst(before + 2).first,
                              "the sweeper records the rest once the window ends")
        XCTAssertEqual(s.outcome, .refused)
        XCTAssertEqual(s.details["attempts"], "4")
        XCTAssertEqual(s.details["peers"], "127.0.0.1=4")
        XCTAssertEqual(service.metrics.value("custody_upload_failures_total{reason=\"auth\"}"), 6)
    }

    func testRefusalsOfTheOpenWindowAreRecordedWhenTheServiceStops() throws {
        let before = try events().count
        for _ in 0..<5 { XCTAssertEqual(try curl("HEAD", "0123456789abcdef0123456789abcdef", token: "wrong").status, 401) }
        service.shutdown()
        service.waitUntilStopped()
        service = nil
        let recorded = try events().dropFirst(before)
        XCTAssertEqual(recorded.count, 3, "two one by one, then one summary at the stop")
        XCTAssertEqual(recorded.last?.details["attempts"], "3")
    }

    func testRetriesOfAFailingIngestBackOff() {
        let retries = IngestRetries()
        XCTAssertTrue(retries.due("u", now: 0))
        XCTAssertEqual(retries.failed("u", now: 0), 60)
        XCTAssertFalse(retries.due("u", now: 59))
        XCTAssertTrue(retries.due("u", now: 60))
        XCTAssertEqual(retries.failed("u", now: 60), 120)
        for _ in 0..<10 { _ = retries.failed("u", now: 0) }
        XCTAssertEqual(retries.failed("u", now: 0), 3600, "at most an hour")
        retries.succeeded("u")
        XCTAssertTrue(retries.due("u", now: 0))
    }
}
