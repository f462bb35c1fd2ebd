import Crypto
import FuzzTargets
import XCTest

/// The fuzz targets driven by the seeded mutator: every seed, every saved regression, then mutations;
/// any crash, hang, untyped error or broken promise fails the test with the input that caused it.
final class FuzzTargetsTests: XCTestCase {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/fuzz")

    func seeds(_ target: FuzzTarget) throws -> [(name: String, bytes: [UInt8])] {
        try FuzzCorpus.seeds(target, root: Self.corpus)
    }

    func testEverySeedIsAcceptedButTheSmugglingOne() throws {
        for target in FuzzTarget.all {
            let seeds = try seeds(target)
            XCTAssertGreaterThanOrEqual(seeds.count, 3, target.name)
            for seed in seeds {
                let expected: FuzzOutcome = seed.name.hasPrefix("smuggling") ? .refused("400") : .accepted
                XCTAssertEqual(try target.run(seed.bytes), expected, "\(target.name)/\(seed.name)")
            }
        }
    }

    func testGeneratedSeedsAreTheCommittedOnes() throws {
        for (name, generated) in try FuzzSeeds.generated() {
            let committed = try FuzzCorpus.files(in: Self.corpus.appendingPathComponent(name))
            XCTAssertEqual(committed.map(\.name), generated.map(\.name).sorted(), name)
            for seed in generated {
                XCTAssertEqual(committed.first { $0.name == seed.name }?.bytes, seed.bytes,
                               "\(name)/\(seed.name): run custody-fuzz make-corpus Fixtures/fuzz")
            }
        }
    }

    /// The fuzz log is RFC 6962's test tree: its root is the vectors' (Fixtures/rfc6962 inclusion/1).
    func testTheFuzzLogIsTheRFC6962TestTree() throws {
        XCTAssertEqual(Base64.encode(try FuzzLedger.root(8).bytes), "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=")
        XCTAssertEqual(Base64.encode(try FuzzLedger.root(1).bytes), "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=")
    }

    func testSavedRegressionsNoLongerFail() throws {
        for target in FuzzTarget.all {
            for input in try FuzzCorpus.regressions(target, root: Self.corpus) {
                XCTAssertNoThrow(try target.run(input.bytes), "\(target.name)/regressions/\(input.name)")
            }
        }
    }

    /// The harness can fail: a target that breaks on one input is caught, with that input.
    func testTheRunnerReportsTheInputThatBrokeATarget() {
        let fragile = FuzzTarget(name: "fragile", summary: "breaks on a NUL") { bytes in
            if bytes.contains(0) { throw FuzzFailure("a NUL") }
            return .accepted
        }
        let report = FuzzRunner(target: fragile, seeds: [Array("abc".utf8)]).run(seed: 1, iterations: 5000)
        XCTAssertEqual(report.failure?.error, "a NUL")
        XCTAssertEqual(report.failure?.input.contains(0), true)
        XCTAssertLessThan(report.executions, 5000)
    }

    func testTheSameSeedMakesTheSameInputs() {
        let mutator = FuzzMutator(dictionary: [Array("token".utf8)], seeds: [Array("seed one".utf8)])
        var a = FuzzRandom(seed: 7), b = FuzzRandom(seed: 7)
        for _ in 0..<100 {
            XCTAssertEqual(mutator.mutate(Array("some input 123".utf8), random: &a),
                           mutator.mutate(Array("some input 123".utf8), random: &b))
        }
    }

    // One test per target, so a failure names it. Each checks the mutations reached past the first
    // refusal: some inputs still accepted, several kinds of refusal, and the deepest check where a
    // target has one (a signature or a Merkle path that failed, an entry whose CRC-32 was computed).
    // The runs are deterministic, so these counts are the same on every machine.

    func testHTTPRequest() throws { try mutate("http-request", 20_000, accepted: 1000, refusals: 5) }
    func testChunkedBody() throws { try mutate("chunked-body", 20_000, accepted: 1000, refusals: 2) }
    func testTusHeaders() throws { try mutate("tus-headers", 10_000, accepted: 300, refusals: 6) }
    func testRedactionSpec() throws { try mutate("redaction-spec", 10_000, accepted: 50, refusals: 5) }
    func testCheckpoint() throws { try mutate("checkpoint", 3000, accepted: 3, refusals: 2, reaching: "integrity") }
    func testInclusionProof() throws {
        try mutate("inclusion-proof", 5000, accepted: 3, refusals: 3, reaching: "integrity")
    }
    func testConsistencyProof() throws {
        try mutate("consistency-proof", 5000, accepted: 3, refusals: 3, reaching: "integrity")
    }
    func testZipReader() throws { try mutate("zip-reader", 5000, accepted: 10, refusals: 3, reaching: "crc") }

    private func mutate(_ name: String, _ iterations: Int, accepted: Int, refusals: Int,
                        reaching deepest: String? = nil) throws {
        let target = try XCTUnwrap(FuzzTarget.named(name))
        let seeds = try seeds(target) + FuzzCorpus.regressions(target, root: Self.corpus)
        let report = FuzzRunner(target: target, seeds: seeds.map(\.bytes)).run(seed: 0xC057_0D1, iterations: iterations)
        if let failure = report.failure {
            XCTFail("\(target.name): \(failure.error) for input "
                    + "\(String(decoding: failure.input, as: UTF8.self).debugDescription) "
                    + "(base64 \(Base64.encode(failure.input)))")
            return
        }
        XCTAssertEqual(report.executions, iterations)
        XCTAssertGreaterThanOrEqual(report.outcomes[.accepted, default: 0], accepted, "\(report.outcomes)")
        let kinds = report.outcomes.keys.filter { if case .refused = $0 { true } else { false } }
        XCTAssertGreaterThanOrEqual(kinds.count, refusals, "\(report.outcomes)")
        if let deepest { XCTAssertNotNil(report.outcomes[.refused(deepest)], "\(report.outcomes)") }
        print("\(target.name): \(report.executions) inputs, \(Int(report.perSecond))/s, "
              + "\(report.outcomes.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" })")
    }
}
