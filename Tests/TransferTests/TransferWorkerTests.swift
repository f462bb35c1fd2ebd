import Catalog
import Crypto
import CustodyCore
import Foundation
import Ledger
import TestSupport
import Transfer
import Vault
import XCTest

/// The transfer queue with a trivial writer and a manual clock: leases, retries with backoff, giving
/// up, a lapsed lease taken over, a stored redaction reused, a stopped worker giving its job back.
final class TransferWorkerTests: XCTestCase {
    let officer = Actor.officer("PC-1")
    let clock = ManualClock()
    var dir: TemporaryDirectory!
    var vault: Vault!
    var exhibit: Exhibit!

    override func setUpWithError() throws {
        dir = TemporaryDirectory("transfer")
        vault = try Vault.initialize(DataDirectory(root: dir.file("data")), org: "t", actor: officer).0
        exhibit = try vault.ingest(path: TestPaths.fixture("bodycam-a.mp4"),
                                   source: IngestSource(filename: "a.mp4", device: "BW2-1"), actor: officer).exhibit
        _ = try vault.createCase("CPS/1", title: "Kestrel", by: officer)
        _ = try vault.addToCase("CPS/1", exhibits: [exhibit.id], by: officer)
    }

    override func tearDown() {
        vault = nil
        dir?.remove()
    }

    var spec: [UInt8] {
        get throws { [UInt8](try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("redaction-spec.json")))) }
    }

    @discardableResult
    func queue(spec: [UInt8]? = nil) throws -> String {
        try vault.queueBundle(case: "CPS/1", recipient: "clerk@cps.gov.uk",
                              clips: [BundleClipRequest(exhibit: exhibit.id, spec: spec)], expiresIn: 3600,
                              maxDownloads: nil, by: officer).bundle.id
    }

    /// A writer that writes the clips' IDs and nothing else.
    static let trivialWriter: BundleWriterFunction = { request, _, path, progress, _ in
        let bytes = Array("\(request.id) \(request.clips.joined(separator: ","))\n".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        progress?(Int64(bytes.count), Int64(bytes.count))
        return BuiltBundle(size: Int64(bytes.count), sha256: SHA256.hash(bytes), checkpointSize: 1, files: [])
    }

    func worker(_ writer: @escaping BundleWriterFunction = trivialWriter,
                options: TransferWorker.Options = TransferWorker.Options()) -> TransferWorker {
        var options = options
        options.clock = clock.clock
        return TransferWorker(directory: vault.directory, options: options, writer: writer)
    }

    func shareEvents() throws -> [CustodyEvent] { try vault.events.events().filter { $0.action == .share } }

    func testAJobIsBuiltOncePublishedInBundlesAndRecorded() throws {
        let id = try queue()
        XCTAssertEqual(try worker().runUntilIdle(), [.built(id)])
        XCTAssertEqual(try worker().runUntilIdle(), [], "a built job is not run again")
        let zip = vault.directory.bundleZip(id)
        XCTAssertEqual(try String(contentsOfFile: zip, encoding: .utf8), "\(id) \(exhibit.id)\n")
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: vault.directory.bundles)[.posixPermissions]
                       as? Int, 0o700)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: vault.directory.bundles), ["\(id).zip"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: vault.directory.scratch), [])
        let built = try vault.bundleDetail(id, for: officer).bundle
        XCTAssertEqual(built.state, .done)
        XCTAssertEqual(built.attempts, 1)
        XCTAssertEqual(built.sha256, SHA256.hash(Array("\(id) \(exhibit.id)\n".utf8)).hex)
        XCTAssertEqual(built.expiresAt, Timestamp.rfc3339(Date(timeIntervalSince1970: TimeInterval(clock.now + 3600))))
        XCTAssertNil(built.leaseOwner)
        let events = try shareEvents()
        XCTAssertEqual(events.map { $0.details["change"] }, ["queued", "built"])
        XCTAssertEqual(events.last?.actor, officer)
        XCTAssertEqual(events.last?.caseID, "CPS/1")
        XCTAssertEqual(events.last?.details["zip_sha256"], built.sha256)
        XCTAssertEqual(events.last?.details["size"], String(built.size ?? -1))
    }

    func testAFailedAttemptBacksOffDoublingAndTheJobIsGivenUpAfterFive() throws {
        let id = try queue()
        let failing = worker { _, _, _, _, _ in throw CustodyError.failure("disk on fire") }
        var waits = [Int64]()
        for attempt in 1...5 {
            XCTAssertEqual(try failing.runUntilIdle(), [.failed(id, error: "disk on fire")], "attempt \(attempt)")
            XCTAssertEqual(try failing.runUntilIdle(), [], "not tried again before its backoff")
            let job = try vault.bundleDetail(id, for: officer).bundle
            XCTAssertEqual(job.attempts, Int64(attempt))
            XCTAssertEqual(job.error, "disk on fire")
            XCTAssertEqual(job.state, attempt < 5 ? .queued : .failed)
            waits.append(job.nextTryAt - clock.now)
            clock.advance(by: Double(job.nextTryAt - clock.now))
        }
        XCTAssertEqual(waits.prefix(4), [5, 10, 20, 40])
        XCTAssertEqual(try failing.runUntilIdle(), [], "a failed job is not tried again")
        let failed = try shareEvents().filter { $0.outcome == .failed }
        XCTAssertEqual(failed.map { $0.details["attempt"] }, ["1", "2", "3", "4", "5"])
        XCTAssertEqual(failed.map { $0.details["gave_up"] }, [nil, nil, nil, nil, "true"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: vault.directory.bundleZip(id)))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: vault.directory.scratch), [])
    }

    func testALapsedLeaseIsAFailedAttemptAndTheJobIsTakenOver() throws {
        let id = try queue()
        let elsewhere = "other-host/4242-abc-0"
        let leased = try vault.leaseBundleJob(owner: elsewhere, now: clock.now, leaseSeconds: 60)
        XCTAssertEqual(leased?.bundle.id, id)
        XCTAssertNil(try vault.leaseBundleJob(owner: "third/1-a-0", now: clock.now, leaseSeconds: 60),
                     "a leased job is leased by one worker at a time")
        XCTAssertEqual(try worker().runUntilIdle(), [], "the lease has not lapsed")
        clock.advance(by: 59)
        XCTAssertTrue(try vault.renewBundleLease(id, owner: elsewhere, until: clock.now + 60))
        XCTAssertFalse(try vault.renewBundleLease(id, owner: "third/1-a-0", until: clock.now + 60))
        clock.advance(by: 59)
        XCTAssertEqual(try worker().runUntilIdle(), [], "renewed: still not lapsed")
        clock.advance(by: 2)
        XCTAssertEqual(try worker().runUntilIdle(), [.built(id)])
        XCTAssertFalse(try vault.renewBundleLease(id, owner: elsewhere, until: clock.now + 60),
                       "the first worker learns it lost the job")
        let job = try vault.bundleDetail(id, for: officer).bundle
        XCTAssertEqual(job.attempts, 2)
        let lapsed = try XCTUnwrap(try shareEvents().first { $0.outcome == .failed })
        XCTAssertEqual(lapsed.details["attempt"], "1")
        XCTAssertEqual(lapsed.details["error"], "the lease of worker \(elsewhere) ended before it finished "
                       + "(stopped or killed)")
    }

    func testTwoConnectionsLeasingAtOnceNeverLeaseOneJob() throws {
        for _ in 0..<20 { try queue() }
        let directory = vault.directory
        let now = clock.now
        let leased = (0..<2).map { _ in Unchecked(value: NSMutableArray()) }
        DispatchQueue.concurrentPerform(iterations: 2) { n in
            let mine = try! Vault(directory: directory)
            while let job = try! mine.leaseBundleJob(owner: "host/\(n)-a-0", now: now, leaseSeconds: 60) {
                leased[n].value.add(job.bundle.id)
            }
        }
        let all = leased.flatMap { $0.value.compactMap { $0 as? String } }
        XCTAssertEqual(all.count, 20)
        XCTAssertEqual(Set(all).count, 20, "a job was leased twice")
    }

    func testARedactionStoredBeforeACrashIsReusedNotRedone() throws {
        let id = try queue(spec: try spec)
        // The worker that crashed had stored the redaction but not yet noted it in the job.
        let made = try vault.redact(exhibit, spec: try spec, reason: "court bundle \(id)", actor: officer).exhibit
        let redactions = try vault.events.events().filter { $0.action == .redact }.count
        XCTAssertEqual(try worker().runUntilIdle(), [.built(id)])
        XCTAssertEqual(try vault.events.events().filter { $0.action == .redact }.count, redactions, "redone")
        XCTAssertEqual(try vault.bundleDetail(id, for: officer).items.map(\.derived), [made.id])
        XCTAssertEqual(try String(contentsOfFile: vault.directory.bundleZip(id), encoding: .utf8), "\(id) \(made.id)\n")
        XCTAssertEqual(try vault.catalog.all().count, 2)
    }

    func testTheWorkerRedactsAsTheOfficerAndNotesTheDerivedExhibit() throws {
        let id = try queue(spec: try spec)
        XCTAssertEqual(try worker().runUntilIdle(), [.built(id)])
        let derived = try XCTUnwrap(try vault.bundleDetail(id, for: officer).items.first?.derived)
        let redactions = try vault.events.events().filter { $0.action == .redact }
        XCTAssertEqual(redactions.map(\.exhibit), [exhibit.id, derived])
        XCTAssertEqual(Set(redactions.map(\.actor)), [officer])
        XCTAssertTrue(redactions[0].reason?.contains(id) == true, redactions[0].reason ?? "")
    }

    /// The calling thread's nice value and scheduling policy, from /proc (fields 19 and 41 of its stat
    /// line; policy 5 is SCHED_IDLE, 0 SCHED_OTHER).
    static func threadPriority() throws -> (nice: Int, policy: Int) {
        let stat = try String(contentsOfFile: "/proc/thread-self/stat", encoding: .utf8)
        let fields = stat[stat.range(of: ")")!.upperBound...].split(separator: " ")
        return (Int(fields[16])!, Int(fields[38])!)  // fields 3... after the command name
    }

    /// Runs a worker with `options` on a thread of its own; returns the (nice, policy) its writer saw.
    private func priorityOfAJob(_ options: TransferWorker.Options) throws -> [[Int]] {
        let id = try queue()
        let seen = Unchecked(value: NSMutableArray())
        let job = worker({ request, vault, path, progress, cancelled in
            let p = try Self.threadPriority()
            seen.value.add([p.nice, p.policy])
            return try Self.trivialWriter(request, vault, path, progress, cancelled)
        }, options: options)
        let done = DispatchSemaphore(value: 0)
        Thread {
            _ = try? job.runUntilIdle()
            done.signal()
        }.start()
        done.wait()
        XCTAssertEqual(try vault.bundleDetail(id, for: officer).bundle.state, .done)
        return seen.value as? [[Int]] ?? []
    }

    func testTheWorkerRunsAtIdlePriorityByDefaultAndNicedWhenAsked() throws {
        let before = try Self.threadPriority()
        XCTAssertEqual(try priorityOfAJob(TransferWorker.Options()), [[before.nice, 5]], "SCHED_IDLE by default")
        var niced = TransferWorker.Options()
        niced.priority = .nice(10)
        XCTAssertEqual(try priorityOfAJob(niced), [[10, 0]], "nice 10 under SCHED_OTHER when asked")
        let after = try Self.threadPriority()
        XCTAssertEqual([after.nice, after.policy], [before.nice, before.policy], "only the worker's thread changed")
    }

    func testAStoppedWorkerGivesItsJobBackUncounted() throws {
        let id = try queue()
        final class Holder: @unchecked Sendable { var worker: TransferWorker? }
        let holder = Holder()
        let stopping = worker { _, _, _, _, isCancelled in
            holder.worker?.stop()  // as SIGTERM would, while the job runs
            XCTAssertEqual(isCancelled?(), true)
            throw CustodyError.failure("cancelled")
        }
        holder.worker = stopping
        XCTAssertEqual(try stopping.runUntilIdle(), [.released(id)])
        let job = try vault.bundleDetail(id, for: officer).bundle
        XCTAssertEqual(job.state, .queued)
        XCTAssertEqual(job.attempts, 0)
        XCTAssertNil(job.leaseOwner)
        XCTAssertEqual(try shareEvents().filter { $0.outcome == .failed }.count, 0)
        XCTAssertEqual(try worker().runUntilIdle(), [.built(id)])
    }

    /// While a job runs, its lease is renewed (every quarter of it); once the job is revoked the
    /// heartbeat finds the lease gone and the job is cancelled and given up by this worker.
    func testTheLeaseIsRenewedWhileTheJobRunsAndARevocationStopsIt() throws {
        let id = try queue()
        let directory = vault.directory
        let clock = self.clock
        var options = TransferWorker.Options()
        options.clock = clock.clock
        options.leaseSeconds = 1
        let slow = TransferWorker(directory: directory, options: options) { _, _, _, _, isCancelled in
            let other = try Vault(directory: directory)
            let officer = Actor.officer("PC-1")
            let first = try XCTUnwrap(try other.bundleDetail(id, for: officer).bundle.leaseUntil)
            clock.advance(by: 10)
            eventually(timeout: 30) { (try? other.bundleDetail(id, for: officer).bundle.leaseUntil) == first + 10 }
            _ = try other.revokeBundle(id, reason: "wrong clerk", by: officer)
            eventually(timeout: 30) { isCancelled?() == true }
            throw CustodyError.failure("cancelled")
        }
        XCTAssertEqual(try slow.runUntilIdle(), [.released(id)])
        let job = try vault.bundleDetail(id, for: officer).bundle
        XCTAssertEqual(job.state, .failed)
        XCTAssertEqual(job.error, "revoked before it was built")
    }

    func testARevokedJobIsNotBuilt() throws {
        let id = try queue()
        _ = try vault.revokeBundle(id, reason: "wrong clerk", by: officer)
        XCTAssertEqual(try worker().runUntilIdle(), [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: vault.directory.bundleZip(id)))
    }
}
