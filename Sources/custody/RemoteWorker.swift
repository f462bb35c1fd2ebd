import CustodyCore
import Foundation
import POSIX
import Service
import Storage
import Vault

/// `custody worker --server URL`: leases redactions from the primary over its workers' API, makes
/// each (`RemoteRedaction`) while a `LeaseRenewal` keeps its lease, and reports the result; `jobs`
/// threads do so at once, each with its own connection and store. Stopped (SIGTERM), it gives its
/// leases back. The server or the store out of reach (three tries in a row), or its token refused,
/// stops it with the reason (`failure`).
final class RemoteWorker: @unchecked Sendable {
    struct Options {
        var server: String
        var token: String
        /// The shared store's location; nil: the one the server reports.
        var store: String?
        /// The S3 key pair's file when the environment has none.
        var credentials: String?
        /// The CA that signed an `https://` S3 endpoint's certificate (the primary's location never names one).
        var caFile: String?
        var scratch: String
        var jobs = 1
        var priority = CPUPriority.idle
        var pollInterval = 2.0
    }

    let options: Options
    private let condition = NSCondition()
    private var stopping = false
    private var running = 0
    private(set) var failure: CustodyError?

    init(_ options: Options) { self.options = options }

    func client() throws -> APIClient {
        try APIClient(server: options.server, token: options.token, tokenPrefix: "cwt_",
                      tokenHelp: "--token-file (or $CUSTODY_WORKER_TOKEN) must hold this worker's token (cwt_...), "
                        + "which `custody worker add NAME` printed on the primary")
    }

    /// Checks the server answers and takes the token, and where the store is (with this worker's `caFile` for
    /// an S3 endpoint); throws when not.
    func connect() throws -> String {
        let answer = try client().get(WorkerMessages.prefix + "store", query: [])
        try Self.refuseUnlessOK(answer, "the server")
        guard let object = try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any],
              let store = object["store"] as? String else {
            throw CustodyError.failure("the server's answer to GET \(WorkerMessages.prefix)store is malformed")
        }
        let location = options.store ?? store
        guard let caFile = options.caFile else { return location }
        guard location.hasPrefix("s3://") else {
            throw CustodyError.invalidInput(field: "--ca-file", "--ca-file is for a store on S3 over https, not "
                                            + "\(location.prefix(200))")
        }
        return try StoreLocation(location).withCAFile(caFile).description
    }

    /// Runs the threads until `stop` or a failure; throws the failure.
    func run(store location: String) throws {
        _ = try WorkerStore.open(location, credentials: options.credentials)  // reachable before any lease is taken
        let swept = WorkerStore.sweepStaleTemporaries(location)
        if swept > 0 { Self.log("removed stale temporaries of killed writers", ["files": String(swept)]) }
        condition.lock()
        running = options.jobs
        condition.unlock()
        for slot in 0..<options.jobs {
            let thread = Thread { [self] in
                ThreadPriority.set(options.priority)
                loop(slot: slot, store: location)
                condition.lock()
                running -= 1
                condition.broadcast()
                condition.unlock()
            }
            thread.name = "custody-remote-worker-\(slot)"
            thread.start()
        }
        condition.lock()
        while running > 0 { condition.wait() }
        condition.unlock()
        if let failure { throw failure }
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    var isStopping: Bool { condition.withLock { stopping } }

    private func fail(_ error: CustodyError) {
        condition.lock()
        if failure == nil { failure = error }
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    private func pause() {
        condition.lock()
        let due = Date(timeIntervalSinceNow: options.pollInterval)
        while !stopping && condition.wait(until: due) {}
        condition.unlock()
    }

    private func loop(slot: Int, store location: String) {
        var misses = 0
        var opened: (any ChunkStore)?  // once per slot (a bucket's check costs requests), again after a failure
        while !isStopping {
            do {
                let client = try client()
                let store = try opened ?? WorkerStore.open(location, credentials: options.credentials)
                opened = store
                let answer = try client.post(WorkerMessages.prefix + "lease", json: [:])
                misses = 0
                if answer.status == 204 {
                    pause()
                    continue
                }
                try Self.refuseUnlessOK(answer, "the server")
                let assignment = try WorkerMessages.assignment([UInt8](answer.body))
                Self.log("leased", ["lease": assignment.leaseID, "bundle": assignment.bundle,
                                    "exhibit": assignment.parent, "slot": String(slot)])
                work(assignment, client: client) { [options] in
                    // The clip's chunks locked for as long as the lease says (a store of its own on the shared client).
                    guard let seconds = assignment.lockSeconds, location.hasPrefix("s3://") else { return store }
                    return try WorkerStore.open(location, credentials: options.credentials, lockSeconds: seconds)
                }
            } catch let e as CustodyError where e.isCallersFault {
                fail(e)
            } catch {
                misses += 1
                opened = nil
                Self.log("cannot reach the server or the store", ["error": String(describing: error),
                                                                  "tries": String(misses)])
                guard misses < 3 else {
                    fail(error as? CustodyError ?? CustodyError.failure(String(describing: error)))
                    return
                }
                pause()
            }
        }
    }

    /// Makes one redaction under its lease, in the store `store` opens, and reports how it ended.
    private func work(_ assignment: RedactionAssignment, client: APIClient, store: () throws -> any ChunkStore) {
        let lease = WorkerMessages.prefix + "leases/" + assignment.leaseID + "/"
        let renewal = LeaseRenewal(worker: self, leaseID: assignment.leaseID, until: assignment.leaseUntil)
        renewal.start()
        defer { renewal.stop() }
        let cancelled = { [self] in isStopping || renewal.lost }
        do {
            let report = try RemoteRedaction(assignment: assignment, store: store(), scratch: options.scratch)
                .run(isCancelled: cancelled)
            let answer = try client.post(lease + "done", json: WorkerMessages.report(report))
            Self.log(answer.status == 200 ? "reported" : "report refused",
                     ["lease": assignment.leaseID, "status": String(answer.status), "answer": Self.text(answer)])
        } catch where cancelled() {
            if !renewal.lost { _ = try? client.post(lease + "release", json: [:]) }
            Self.log(renewal.lost ? "lease lost" : "lease given back", ["lease": assignment.leaseID])
        } catch {
            let message = (error as? CustodyError)?.description ?? String(describing: error)
            _ = try? client.post(lease + "failed", json: ["error": message])
            Self.log("redaction failed", ["lease": assignment.leaseID, "error": message])
        }
    }

    /// A 401 (the token) and other refusals as errors naming `who` and what it said.
    static func refuseUnlessOK(_ answer: APIClient.Answer, _ who: String) throws {
        switch answer.status {
        case 200: return
        case 401: throw CustodyError.refused("\(who) refused this worker's token (unknown or revoked): \(text(answer))")
        default: throw CustodyError.failure("\(who) answered \(answer.status): \(text(answer))")
        }
    }

    static func text(_ answer: APIClient.Answer) -> String {
        let object = try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any]
        return (object?["error"] as? String)
            ?? String(decoding: answer.body.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func log(_ message: String, _ fields: [String: String]) {
        Output.note("worker: \(message) " + fields.sorted { $0.key < $1.key }.map { "\($0)=\($1)" }
            .joined(separator: " "))
    }
}

/// Renews a lease every quarter of its length, on a thread of its own with its own connection; `lost`
/// turns true when the server says the lease is no longer the worker's (409).
final class LeaseRenewal: @unchecked Sendable {
    private let worker: RemoteWorker
    private let leaseID: String
    private let interval: Double
    private let condition = NSCondition()
    private var done = false
    private var isLost = false

    init(worker: RemoteWorker, leaseID: String, until: Int64) {
        self.worker = worker
        self.leaseID = leaseID
        interval = max(0.5, Double(until - Int64(Date().timeIntervalSince1970)) / 4)
    }

    var lost: Bool { condition.withLock { isLost } }

    func start() {
        Thread { [self] in
            let client = try? worker.client()
            condition.lock()
            while !done {
                let due = Date(timeIntervalSinceNow: interval)
                while !done && condition.wait(until: due) {}
                if done { break }
                condition.unlock()
                let answer = try? client?.post(WorkerMessages.prefix + "leases/" + leaseID + "/renew", json: [:])
                condition.lock()
                if answer?.status == 409 || answer?.status == 401 {
                    isLost = true
                    break
                }
            }
            condition.unlock()
        }.start()
    }

    func stop() {
        condition.lock()
        done = true
        condition.broadcast()
        condition.unlock()
    }
}
