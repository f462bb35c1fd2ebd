import CustodyCore
import Foundation
import Vault

/// Runs `work` every `interval` seconds on its own thread with its own vault connection, and once
/// more when stopped (unless made with `runsWhenStopped: false`): the ledger checkpointer and the upload
/// expiry sweep. `runNow` runs it at once.
final class PeriodicTask: @unchecked Sendable {
    private let name: String
    private let directory: DataDirectory
    private let interval: Double
    private let log: Log
    private let work: (Vault) throws -> Void
    /// Whether stopping runs `work` a last time (the checkpointer's last checkpoint; not retention).
    private let runsWhenStopped: Bool
    private let condition = NSCondition()
    private var running = false
    private var finished = true
    /// Runs asked for by `runNow`, and how many of those asked for have had theirs.
    private var requested = 0
    private var completed = 0

    init(_ name: String, directory: DataDirectory, interval: Double, log: Log, runsWhenStopped: Bool = true,
         work: @escaping (Vault) throws -> Void) {
        self.name = name
        self.runsWhenStopped = runsWhenStopped
        self.directory = directory
        self.interval = interval
        self.log = log
        self.work = work
    }

    func start() {
        condition.lock()
        running = true
        finished = false
        condition.unlock()
        let thread = Thread { [self] in loop() }
        thread.name = "custody-\(name)"
        thread.start()
    }

    /// Wakes the thread and waits for its final run.
    func stop() {
        condition.lock()
        running = false
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    /// Runs `work` once more, on the task's thread, and returns when that run has finished: a run
    /// that began after this call, so it sees whatever the caller did before. Returns at once if
    /// the task is not running.
    func runNow() {
        condition.lock()
        defer { condition.unlock() }
        guard running else { return }
        requested += 1
        let wanted = requested
        condition.broadcast()
        while completed < wanted && !finished { condition.wait() }
    }

    private func loop() {
        var vault: Vault?
        var keepGoing = true
        while keepGoing {
            condition.lock()
            let due = Date(timeIntervalSinceNow: interval)
            while running && requested == completed && condition.wait(until: due) {}
            keepGoing = running
            let serving = requested
            let skipped = !keepGoing && !runsWhenStopped && serving == completed
            condition.unlock()
            do {
                if vault == nil && !skipped { vault = try Vault(directory: directory) }
                if !skipped { try work(vault!) }
            } catch {
                log.error("\(name) failed", ["error": String(describing: error)])
                vault = nil  // reopen next time
            }
            condition.lock()
            completed = serving
            condition.broadcast()
            condition.unlock()
        }
        vault = nil  // closed before `stop` returns, so the caller may move or remove the data directory
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }
}

/// Vault connections for request threads: SQLite connections are not shared between threads, and
/// opening one per request would cost more than the request.
final class VaultPool: @unchecked Sendable {
    private let directory: DataDirectory
    private let lock = NSLock()
    private var idle = [Vault]()

    init(directory: DataDirectory) { self.directory = directory }

    @discardableResult
    func with<T>(_ body: (Vault) throws -> T) throws -> T {
        lock.lock()
        let pooled = idle.popLast()
        lock.unlock()
        let vault = try pooled ?? Vault(directory: directory)
        defer {
            lock.lock()
            if idle.count < 16 { idle.append(vault) }
            lock.unlock()
        }
        return try body(vault)
    }
}
