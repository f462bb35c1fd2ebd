import BundleFixture
import CourtBundle
import Crypto
import CustodyCore
import Foundation
import Ledger
import XCTest

final class BundleConsistencyTests: BundleTestCase {
    func testTheServersKeyAndNewestCheckpointAreUsedAndMustExtendTheBundles() throws {
        let (fixture, path) = try makeBundle()
        let server = FixtureLedgerServer(fixture)
        let same = try verify(path, .init(server: server))
        XCTAssertTrue(same.ok, same.failure?.description ?? "")
        XCTAssertEqual(same.keySource, .server)
        XCTAssertEqual(same.checked["consistency"], 1)
        // The log grows after the bundle: the newest checkpoint must extend the bundle's, by proof.
        for _ in 0..<5 { _ = try fixture.log.append(CustodyEvent(actor: .system, action: .verify)) }
        let grown = try verify(path, .init(server: server))
        XCTAssertTrue(grown.ok, grown.failure?.description ?? "")
    }

    func testAKeptCheckpointEarlierLaterOrEqualIsProvedConsistent() throws {
        let (fixture, path) = try makeBundle()
        let server = FixtureLedgerServer(fixture)
        let bundleNote = try fixture.log.latestCheckpoint()!.note
        let equal = try verify(path, .init(checkpoint: bundleNote))
        XCTAssertTrue(equal.ok, equal.failure?.description ?? "")
        for _ in 0..<3 { _ = try fixture.log.append(CustodyEvent(actor: .system, action: .verify)) }
        let later = try fixture.log.checkpoint(signer: fixture.signer)!.note
        XCTAssertTrue(try verify(path, .init(checkpoint: later, server: server)).ok)
        let earlier = try Checkpoint.sign(size: 2, root: fixture.log.root(size: 2), signer: fixture.signer).note
        let report = try verify(path, .init(checkpoint: earlier, server: server))
        XCTAssertTrue(report.ok, report.failure?.description ?? "")
        XCTAssertThrowsError(try verify(path, .init(checkpoint: later)), "a different size needs --server")
    }

    /// A checkpoint of the same size with another root, signed with the ledger key (a forked log), and
    /// a server whose log does not extend the bundle's: both named as consistency failures.
    func testAForkedLogFailsConsistency() throws {
        let (fixture, path) = try makeBundle()
        let size = try fixture.log.latestCheckpoint()!.size
        let fork = try Checkpoint.sign(size: size, root: SHA256.hash([1, 2, 3]), signer: fixture.signer).note
        assertFails(try verify(path, .init(checkpoint: fork)), .consistency, entry: BundleLayout.checkpoint)

        let other = try FixtureBundle(work: dir.file("."), options: .init())
        for i in 0..<10 { _ = try other.log.append(CustodyEvent(actor: .system, action: .verify, reason: "\(i)")) }
        let forked = ForkedServer(real: FixtureLedgerServer(fixture), other: FixtureLedgerServer(other), key: fixture)
        let report = try verify(path, .init(server: forked))
        assertFails(report, .consistency, entry: BundleLayout.checkpoint)
        XCTAssertTrue(report.failure?.message.contains("is not consistent") ?? false, report.failure?.description ?? "")
    }

    func testAKeptCheckpointSignedByAnotherKeyIsNamed() throws {
        let (_, path) = try makeBundle()
        let stranger = try FixtureBundle(work: dir.file("."), options: .init())
        _ = try stranger.log.append(CustodyEvent(actor: .system, action: .verify))
        let note = try stranger.log.checkpoint(signer: stranger.signer)!.note
        XCTAssertEqual(try verify(path, .init(checkpoint: note)).failure?.step, .consistency)
        XCTAssertThrowsError(try verify(path, .init(checkpoint: "not a note\n")), "the wrong file: an input error") {
            XCTAssertEqual(($0 as? CustodyError)?.kind, .invalidInput(field: "note"))
        }
    }
}

/// The real server's key; checkpoints and proofs from another log, re-signed with the real key (an
/// insider rewriting history).
struct ForkedServer: LedgerServer {
    let real: FixtureLedgerServer
    let other: FixtureLedgerServer
    let key: FixtureBundle

    func get(_ path: String) throws -> String {
        if path == "/ledger/key" { return try real.get(path) }
        let log = other.fixture.log
        let size = UInt64(try log.count())
        let note = try Checkpoint.sign(size: size, root: log.root(size: size), signer: key.signer).note
        guard path.hasPrefix("/ledger/consistency?from=") else { return note }
        let from = UInt64(path.split(separator: "=")[1].split(separator: "&")[0])!
        return ConsistencyProof(oldSize: from, newSize: size,
                                hashes: try log.consistencyProof(oldSize: from, newSize: size).map(\.bytes),
                                checkpoint: note).text
    }
}
