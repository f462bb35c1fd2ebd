import CustodyCore
import Foundation
import Ledger
import TestSupport
import XCTest
@testable import Service

/// The API's refused requests are all counted and bounded in the ledger: those without a valid officer
/// token under one budget, each officer's under its own (one cannot use up another's events).
final class APIRefusalTests: TusTestCase {
    let clock = ManualClock()
    var officer = ""

    override func configure(_ c: inout ServiceConfiguration) {
        c.clock = clock.clock
        c.refusalsRecordedPerWindow = 2
        c.refusalWindow = 4
        c.sweepInterval = 3600  // no round but those the test runs
    }

    override func beforeStart() throws {
        officer = try vault.addOfficer("PC-7", name: "P. Seven", role: .evidenceOfficer, by: .system)
    }

    func post(_ body: String, token: String) throws -> Int {
        let file = dir.file("body.json")
        try Data(body.utf8).write(to: URL(fileURLWithPath: file))
        return try curl("POST", "http://127.0.0.1:\(port)/api/v1/commands", token: token,
                        headers: ["Content-Type: application/json"], body: file, tusVersion: nil).status
    }

    func testRefusalsBeyondTheBurstAreSummarisedPerBudget() throws {
        let before = try events().count
        for _ in 0..<5 { XCTAssertEqual(try post("{}", token: "cot_wrong"), 401) }
        for _ in 0..<4 { XCTAssertEqual(try post("{not json", token: officer), 400) }
        // A dock's token on the API, and an officer's on the docks' endpoint.
        XCTAssertEqual(try post("{}", token: token1), 401)
        XCTAssertEqual(try curl("HEAD", "0123456789abcdef0123456789abcdef", token: officer).status, 401)
        let oneByOne = try events().dropFirst(before)
        XCTAssertEqual(oneByOne.map { "\($0.actor)|\($0.action.rawValue)|\($0.reason ?? "")" }, [
            "officer:unauthenticated|view|unknown token, or the token of a disabled officer",
            "officer:unauthenticated|view|unknown token, or the token of a disabled officer",
            "officer:PC-7|view|the body must be a JSON object: {\"argv\": [...], \"files\": {...}}",
            "officer:PC-7|view|the body must be a JSON object: {\"argv\": [...], \"files\": {...}}",
            "device:unauthenticated|upload|an officer's token was used to upload (docks have their own)",
        ])
        clock.advance(by: 4)
        service.sweepNow()
        let summaries = try events().dropFirst(before + oneByOne.count)
            .map { "\($0.actor)|\($0.details["attempts"] ?? "")|\($0.details["peers"] ?? "")" }
        XCTAssertEqual(Set(summaries), ["officer:unauthenticated|4|127.0.0.1=4", "officer:PC-7|2|127.0.0.1=2"],
                       "three wrong tokens and the dock's; two bodies of PC-7's")
    }
}
