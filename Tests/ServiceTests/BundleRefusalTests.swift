import CustodyCore
import Foundation
import Ledger
import TestSupport
import XCTest
@testable import Service
@testable import Vault

/// Links that must not work: each gets 403 (404 for an unknown bundle), says nothing more, and leaves
/// a refused `download` event naming why, within the refusal budget.
final class BundleRefusalTests: BundleTestCase {
    override func configure(_ c: inout ServiceConfiguration) {
        super.configure(&c)
        c.refusalsRecordedPerWindow = 30
        c.refusalWindow = 60
    }

    /// Fetches the landing page and the ZIP of `id` with `query`: each answers `status` with the same
    /// body whatever the reason, and leaves one refused event naming `reason` (never the signature).
    func refused(_ id: String, _ query: String, status: Int, reason: String, actor: String? = nil,
                 file: StaticString = #filePath, line: UInt = #line) throws {
        for target in [landingURL(id, query), zipURL(id, query)] {
            let before = try events().count
            let body = dir.file("refusal.txt")
            XCTAssertEqual(try fetch(target, to: body).status, status, target, file: file, line: line)
            XCTAssertEqual(try String(contentsOfFile: body, encoding: .utf8),
                           status == 404 ? "no such bundle\n" : "this link cannot be used (it may have expired or "
                           + "been withdrawn); ask whoever sent it for a new one\n", file: file, line: line)
            let recorded = try events().dropFirst(before)
            XCTAssertEqual(recorded.count, 1, "one event for \(target)", file: file, line: line)
            XCTAssertEqual(recorded.first?.action, .download, file: file, line: line)
            XCTAssertEqual(recorded.first?.outcome, .refused, file: file, line: line)
            XCTAssertEqual(recorded.first?.reason, reason, file: file, line: line)
            XCTAssertEqual(recorded.first?.actor, Actor(id: actor ?? recipient, kind: .recipient),
                           file: file, line: line)
            XCTAssertEqual(recorded.first?.details["bundle"], id, file: file, line: line)
            let sig = query.components(separatedBy: "sig=").last ?? ""
            XCTAssertFalse(!sig.isEmpty && recorded.first?.details.values.contains { $0.contains(sig) } ?? true,
                           file: file, line: line)
        }
    }

    func testForgedAndAlteredLinksAreRefused() throws {
        let (id, query) = try builtBundle()
        let exp = String(query.split(separator: "&")[0].dropFirst(4))
        let sig = String(query.split(separator: "&")[2].dropFirst(4))
        var forged = Array(sig)
        forged[3] = forged[3] == "A" ? "B" : "A"
        try refused(id, "exp=\(exp)&rcpt=\(recipient)&sig=\(String(forged))", status: 403, reason: "forged")
        try refused(id, "exp=\(exp)&rcpt=x.smith@cps.gov.uk&sig=\(sig)", status: 403, reason: "forged",
                    actor: "x.smith@cps.gov.uk")
        try refused(id, "exp=\(Int64(exp)! + 86_400)&rcpt=\(recipient)&sig=\(sig)", status: 403,
                    reason: "forged")
        try refused(id, "exp=\(exp)&rcpt=\(recipient)", status: 403, reason: "forged")
        try refused(id, "exp=\(exp)&rcpt=%3Cscript%3E&sig=\(sig)", status: 403, reason: "forged",
                    actor: "unauthenticated")
        // A genuine link for another recipient of the same bundle is no link to it.
        let other = try vault.linkQuery(bundle: id, recipient: "someone.else", expires: Int64(exp)!)
        try refused(id, other, status: 403, reason: "forged", actor: "someone.else")
    }

    func testALinkSignedWithARetiredSecretIsRefusedSayingSoAndTheNewLinkOpens() throws {
        let (id, query) = try builtBundle()
        XCTAssertEqual(try fetch(landingURL(id, query)).status, 200)
        let supervisor = Actor.officer("SUP-1")
        _ = try vault.addOfficer(supervisor.id, name: "A Supervisor", role: .supervisor, by: .system)
        XCTAssertThrowsError(try vault.rotateLinkSecret(reason: "leaked", by: .officer("PC-1"), now: 1),
                             "only a registered supervisor may")
        try vault.rotateLinkSecret(reason: "the secret was copied to a laptop", by: supervisor, now: 1_800_000_000)
        let rotation = try XCTUnwrap(try events().last { $0.action == .key && $0.outcome == .ok })
        XCTAssertEqual(rotation.actor, supervisor)
        XCTAssertEqual(rotation.reason, "the secret was copied to a laptop")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: vault.directory.retiredKeys),
                       ["link-1800000000.secret"])
        try refused(id, query, status: 403, reason: "signed with a retired link secret")
        // A forged link stays forged; the bundle's new link opens.
        var forged = Array(query)
        forged[forged.count - 5] = forged[forged.count - 5] == "A" ? "B" : "A"
        try refused(id, String(forged), status: 403, reason: "forged")
        let fresh = try XCTUnwrap(try vault.linkPath(for: vault.bundleRegistry.get(id)))
        XCTAssertEqual(try fetch(base + fresh).status, 200)
    }

    func testUnknownAndMalformedBundlesAre404() throws {
        let (_, query) = try builtBundle()
        try refused("BN-000009", query, status: 404, reason: "unknown bundle")
        let before = try events().count
        XCTAssertEqual(try fetch("\(base)/bundles/..%2Fkeys?\(query)").status, 404)
        XCTAssertEqual(try fetch("\(base)/bundles/BN-000001/other.zip?\(query)").status, 404)
        XCTAssertEqual(try events().dropFirst(before).map(\.reason), ["unknown bundle", "unknown bundle"])
    }

    func testExpiredRevokedRemovedAndOverLimitLinksAre403() throws {
        let (id, query) = try builtBundle(expiresIn: 3600)
        clock.advance(by: 3600)
        try refused(id, query, status: 403, reason: "expired")

        let (revokedID, revokedQuery) = try builtBundle()
        try vault.db.transaction { try vault.bundleRegistry.revoke(revokedID, by: "PC-1", reason: "wrong clip",
                                                                   at: Timestamp.rfc3339()) }
        try refused(revokedID, revokedQuery, status: 403, reason: "revoked")

        let (limitedID, limitedQuery) = try builtBundle(maxDownloads: 1)
        XCTAssertEqual(try fetch(zipURL(limitedID, limitedQuery)).status, 200)
        try waitUntil("the download is counted") { try vault.bundleRegistry.get(limitedID).downloads == 1 }
        try refused(limitedID, limitedQuery, status: 403, reason: "over limit")

        let (removedID, removedQuery) = try builtBundle()
        try vault.db.transaction { try vault.bundleRegistry.markRemoved(removedID, at: Timestamp.rfc3339()) }
        try refused(removedID, removedQuery, status: 403, reason: "removed")
    }

    func testTheSweeperRemovesExpiredAndRevokedZipsAndKeepsTheEvents() throws {
        let (expiring, query) = try builtBundle(expiresIn: 3600)
        let (revoked, _) = try builtBundle(expiresIn: 7200)
        let (kept, keptQuery) = try builtBundle(expiresIn: 7200)
        XCTAssertEqual(try fetch(zipURL(expiring, query)).status, 200)
        try vault.db.transaction { try vault.bundleRegistry.revoke(revoked, by: "PC-1", reason: "wrong clip",
                                                                   at: Timestamp.rfc3339()) }
        let before = try events().count
        service.sweepBundlesNow()
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.bundles + "/\(expiring).zip"), "not yet expired")
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.bundles + "/\(revoked).zip"))
        clock.advance(by: 3600)
        service.sweepBundlesNow()
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.bundles + "/\(expiring).zip"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.bundles + "/\(kept).zip"))
        let removals = try events().dropFirst(before).filter { $0.action == .share }
        XCTAssertEqual(removals.map { $0.details["bundle"] }, [revoked, expiring])
        XCTAssertEqual(removals.map { $0.details["why"] }, ["revoked", "expired"])
        XCTAssertTrue(removals.allSatisfy { $0.actor == .system && $0.details["change"] == "removed" })
        XCTAssertNotNil(try vault.bundleRegistry.get(expiring).removedAt)
        XCTAssertTrue(try events().contains { $0.action == .download && $0.details["bundle"] == expiring },
                      "the download events stay")
        service.sweepBundlesNow()
        XCTAssertEqual(try events().dropFirst(before).filter { $0.action == .share }.count, 2, "removed once")
        XCTAssertEqual(try fetch(landingURL(kept, keptQuery)).status, 200)
    }
}

/// A flood of bad links cannot grow the ledger without bound, and none goes uncounted.
final class BundleRefusalFloodTests: BundleTestCase {
    override func configure(_ c: inout ServiceConfiguration) {
        super.configure(&c)
        c.refusalsRecordedPerWindow = 2
        c.refusalWindow = 4
    }

    func testRefusedLinksBeyondTheBurstAreSummarised() throws {
        let (id, query) = try builtBundle()
        let forged = query.replacingOccurrences(of: "sig=", with: "sig=A")
        let before = try events().count
        for _ in 0..<6 { XCTAssertEqual(try fetch(landingURL(id, forged)).status, 403) }
        XCTAssertEqual(try events().count, before + 2, "two recorded one by one")
        clock.advance(by: 4)
        service.sweepBundlesNow()
        let summary = try XCTUnwrap(try events().dropFirst(before + 2).first)
        XCTAssertEqual(summary.action, .download)
        XCTAssertEqual(summary.outcome, .refused)
        XCTAssertEqual(summary.actor, Actor(id: "unauthenticated", kind: .recipient))
        XCTAssertEqual(summary.details["attempts"], "4")
        XCTAssertEqual(summary.details["peers"], "127.0.0.1=4")
        for _ in 0..<3 { XCTAssertEqual(try fetch(landingURL(id, forged)).status, 403) }
        service.shutdown()
        service.waitUntilStopped()
        service = nil
        let last = try XCTUnwrap(try events().last)
        XCTAssertEqual(last.details["attempts"], "1", "the open window's rest is recorded at the stop")
    }
}

/// The signature is the link's secret part: no log line holds it, whatever the request came to.
final class BundleLogTests: BundleTestCase {
    let lines = LogAndMetricsTests.Lines()

    override func makeLog() -> Log { Log(minimum: .debug) { [lines] in lines.add($0) } }

    func testNoLogLineHoldsTheSignature() throws {
        let (id, query) = try builtBundle()
        let sig = try XCTUnwrap(query.components(separatedBy: "sig=").last)
        XCTAssertEqual(try fetch(landingURL(id, query)).status, 200)
        XCTAssertEqual(try fetch(zipURL(id, query)).status, 200)
        XCTAssertEqual(try fetch(landingURL(id, query + "x")).status, 403)
        try FileManager.default.removeItem(atPath: directory.bundles + "/\(id).zip")
        XCTAssertEqual(try fetch(zipURL(id, query)).status, 500, "a ZIP gone missing is our failure")
        try waitUntil("the requests are logged") { lines.lines.filter { $0.contains("\"request\"") }.count == 4 }
        XCTAssertTrue(lines.lines.contains { $0.contains("bundle request failed") })
        for line in lines.lines {
            XCTAssertFalse(line.contains(sig) || line.contains("sig="), line)
        }
    }
}
