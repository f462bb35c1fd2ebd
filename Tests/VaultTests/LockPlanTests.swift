import Catalog
import Crypto
import CustodyCore
import Foundation
@testable import Vault
import XCTest

/// `LockPlan`: the Object Lock each chunk needs, from retention's decisions.
final class LockPlanTests: XCTestCase {
    let day: Int64 = 86_400
    let now: Int64 = 1_800_000_000

    func exhibit(_ n: Int, parent: Int? = nil, capturedDaysAgo: Int64 = 10) -> Exhibit {
        func sha(_ k: Int) -> SHA256Digest { SHA256.hash(Array("exhibit \(k)".utf8)) }
        let captured = Timestamp.rfc3339(Date(timeIntervalSince1970: Double(now - capturedDaysAgo * day)))
        return Exhibit(id: Catalog.id(Int64(n)), sha256: sha(n), size: 1, chunkSize: 1, filename: nil, device: "d",
                       officer: "o", capturedAt: captured, ingestedAt: captured, status: .ok, unreadableReason: nil,
                       media: nil, parentSHA256: parent.map(sha), specSHA256: nil, spec: nil)
    }

    func facts(_ e: Exhibit, keep: Int64? = nil, held: Bool = false, openCase: Bool = false,
               deleted: Bool = false) -> RetentionFacts {
        RetentionFacts(exhibit: e, category: keep.map { .init(name: "c\($0)", keepSeconds: $0, createdAt: "", createdBy: "") },
                       holds: held ? ["HD-000001 (x)"] : [], openCases: openCase ? ["C1"] : [], deleted: deleted)
    }

    func targets(_ all: [RetentionFacts]) -> [String: LockPlan.Target] {
        LockPlan.exhibitTargets(all, RetentionPlan.decide(all, now: now), now: now)
    }

    func testDatesFollowTheRuleAndAnOpenCaseLocksAheadWhileDeletedExhibitsNeedNothing() {
        let a = exhibit(1), b = exhibit(2), c = exhibit(3, capturedDaysAgo: 400), d = exhibit(4)
        let t = targets([facts(a, keep: 7 * 365 * day), facts(b), facts(c, openCase: true), facts(d, deleted: true)])
        XCTAssertEqual(t["EX-000001"], .init(requiredBy: now - 10 * day + 7 * 365 * day,
                                             extendTo: now - 10 * day + 7 * 365 * day, hold: false))
        XCTAssertEqual(t["EX-000002"]?.requiredBy, now + 21 * day, "the default 31 days from capture")
        XCTAssertEqual(t["EX-000003"], .init(requiredBy: now + LockPlan.ahead - LockPlan.renew,
                                             extendTo: now + LockPlan.ahead, hold: false), "past its date, kept")
        XCTAssertNil(t["EX-000004"])
    }

    func testAHoldCoversTheHeldExhibitAndWhatItDerivesFromOnly() {
        let parent = exhibit(1), clip = exhibit(2, parent: 1), other = exhibit(3, parent: 1)
        let t = targets([facts(parent), facts(clip, held: true), facts(other)])
        XCTAssertEqual(["EX-000001", "EX-000002", "EX-000003"].map { t[$0]?.hold }, [true, true, false])
    }

    func testASharedChunkTakesTheLatestDateAndAnyHoldAndDatesOnlyMoveLater() {
        let x = SHA256.hash(Array("x".utf8)), y = SHA256.hash(Array("y".utf8))
        let exhibits: [String: LockPlan.Target] = [
            "A": .init(requiredBy: 100, extendTo: 100, hold: false),
            "B": .init(requiredBy: 300, extendTo: 400, hold: true),
        ]
        let chunks = LockPlan.chunkTargets([("A", x), ("B", x), ("A", y)], exhibits)
        XCTAssertEqual(chunks[x], .init(requiredBy: 300, extendTo: 400, hold: true))
        XCTAssertEqual(chunks[y], .init(requiredBy: 100, extendTo: 100, hold: false))

        let later = ChunkLockRegistry.Applied(retainUntil: 500, legalHold: false)
        XCTAssertTrue(LockPlan.work(chunks[x], applied: later) == (nil, true), "never shortened; hold set")
        let earlier = ChunkLockRegistry.Applied(retainUntil: 200, legalHold: true)
        XCTAssertTrue(LockPlan.work(chunks[x], applied: earlier) == (400, nil))
        XCTAssertTrue(LockPlan.work(nil, applied: earlier) == (nil, false), "no exhibit needs it: hold cleared")
    }
}
