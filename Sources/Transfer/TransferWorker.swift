import CustodyCore
import Foundation
import POSIX
import Vault
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Writes a bundle's complete ZIP at a scratch path (the `BundleWriter.write` signature); injected so
/// the queue can be tested with a trivial writer.
public typealias BundleWriterFunction = @Sendable (_ request: BundleRequest, _ vault: Vault, _ path: String,
                                  _ progress: ((Int64, Int64) -> Void)?, _ isCancelled: (() -> Bool)?) throws
    -> BuiltBundle

/// Runs transfer jobs: leases one (durable in the vault's SQLite, so any number of workers in any
/// number of processes share the queue and a job is leased by one at a time), renews the lease while
/// it works, runs it (`TransferWorker+Job.swift`) and leases the next. `options.jobs` threads each run
/// one job at a time (one by default: redactions are CPU-heavy); they run at idle CPU priority
/// (`Options.priority`), to leave the CPU to uploads (README, *Time to court*). A worker that is
/// stopped gives its jobs back; one that is killed leaves them to the next worker once its lease lapses
/// (at once, on this machine, once its process is gone).
public final class TransferWorker: @unchecked Sendable {
    public struct Options: Sendable {
        /// Jobs run at once (threads).
        public var jobs = 1
        /// How long a lease lasts unless renewed; it is renewed every quarter of it.
        public var leaseSeconds: Int64 = 60
        /// How often an idle thread looks for a due job.
        public var pollInterval = 2.0
        /// The CPU priority of the worker's threads (and the codec threads they start): by default
        /// SCHED_IDLE, so uploads keep their speed while a redaction runs (README, *Time to court*).
        public var priority = CPUPriority.idle
        public var clock = CustodyClock.system
        /// Told each step of a job as it starts (bundle ID, step: `redacting EX-000004`, `writing`), on
        /// the job's thread: a front end running the worker itself shows them without polling the row.
        public var onStep: (@Sendable (_ bundle: String, _ step: String) -> Void)?
        /// Leaves bundles' redactions to remote workers (`custody worker --server`; `serve`'s
        /// `remote-redaction`): only jobs whose redactions are all made are leased, to write their ZIPs.
        public var leavesRedactions = false

        public init() {}
    }

    /// How a job run ended.
    public enum Outcome: Sendable, Equatable {
        case built(String)
        /// A failed attempt, with its error; the job is queued again or given up.
        case failed(String, error: String)
        /// Given back unfinished: the worker was stopped, or lost its lease (revoked, or taken over).
        case released(String)
    }

    public let directory: DataDirectory
    public let options: Options
    let writer: BundleWriterFunction
    let log: @Sendable (String, [String: String]) -> Void
    /// Names this process's leases: `<host>/<pid>-<tag>-<thread>`, so a worker on this machine can
    /// tell a lease whose process is gone.
    static let ownerPrefix = "\(hostName)/\(Scratch.prefix)"

    private let condition = NSCondition()
    private var stopping = false
    private var threads = 0

    public init(directory: DataDirectory, options: Options = Options(),
                writer: @escaping BundleWriterFunction = defaultWriter,
                log: @escaping @Sendable (String, [String: String]) -> Void = { _, _ in }) {
        self.directory = directory
        self.options = options
        self.writer = writer
        self.log = log
    }

    /// True once `stop` was called: running jobs are cancelled and given back.
    public var isStopping: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopping
    }

    /// Runs due jobs on this thread, one after another, until none is due (or `stop`); returns how each
    /// ended. `only`: that job alone (`bundle create --wait`).
    public func runUntilIdle(slot: Int = 0, only: String? = nil) throws -> [Outcome] {
        ThreadPriority.set(options.priority)
        let vault = try Vault(directory: directory)
        var outcomes = [Outcome]()
        while !isStopping, let outcome = try runNext(vault, slot: slot, only: only) {
            outcomes.append(outcome)
            if only != nil { break }
        }
        return outcomes
    }

    /// Starts `options.jobs` threads that run jobs as they come due, until `stop`.
    public func start() {
        condition.lock()
        stopping = false
        threads = options.jobs
        condition.unlock()
        for slot in 0..<options.jobs {
            let thread = Thread { [self] in loop(slot: slot) }
            thread.name = "custody-transfer-\(slot)"
            thread.start()
        }
    }

    /// Cancels the running jobs (each given back, its lease released) and waits for the threads.
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while threads > 0 { condition.wait() }
        condition.unlock()
    }

    /// Blocks until `stop` (from another thread, a signal handler) has stopped every thread.
    public func waitUntilStopped() {
        condition.lock()
        while !stopping || threads > 0 { condition.wait() }
        condition.unlock()
    }

    private func loop(slot: Int) {
        ThreadPriority.set(options.priority)
        var vault: Vault?
        while !isStopping {
            var ran = false
            do {
                if vault == nil { vault = try Vault(directory: directory) }
                ran = try runNext(vault!, slot: slot, only: nil) != nil
            } catch {
                log("transfer worker failed", ["error": String(describing: error)])
                vault = nil
            }
            guard !ran else { continue }
            condition.lock()
            let due = Date(timeIntervalSinceNow: options.pollInterval)
            while !stopping && condition.wait(until: due) {}
            condition.unlock()
        }
        vault = nil
        condition.lock()
        threads -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Leases and runs one due job; nil when none is due.
    func runNext(_ vault: Vault, slot: Int, only: String?) throws -> Outcome? {
        let owner = Self.ownerPrefix + String(slot)
        guard let job = try vault.leaseBundleJob(owner: owner, now: options.clock.now(),
                                                 leaseSeconds: options.leaseSeconds, only: only,
                                                 leavingRedactions: options.leavesRedactions,
                                                 isGone: Self.isGone) else { return nil }
        log("transfer job leased", ["bundle": job.bundle.id, "attempt": String(job.bundle.attempts)])
        let outcome = run(job, vault: vault, owner: owner)
        // The job's events (redactions, built or failed) get a signed checkpoint now, not at exit.
        do { try vault.checkpoint() } catch { log("cannot sign a checkpoint", ["error": String(describing: error)]) }
        log("transfer job ended", ["bundle": job.bundle.id, "outcome": String(describing: outcome)])
        return outcome
    }

    /// True when `owner` names a worker of this machine whose process is gone (killed): its lease
    /// need not be waited out.
    static func isGone(_ owner: String) -> Bool {
        guard owner.hasPrefix(hostName + "/"), !owner.hasPrefix(ownerPrefix) else { return false }
        let rest = owner.dropFirst(hostName.count + 1)
        guard let pid = Scratch.pid(rest.prefix { $0 != "-" }) else { return false }
        return pid == getpid() || !FS.processAlive(pid)
    }

    static let hostName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        let name = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "/", with: "_")
        return name.isEmpty ? "localhost" : name
    }()
}
