import CustodyCore
import Foundation
import Vault

/// Signs a ledger checkpoint whenever events were appended, at most `interval` seconds after them,
/// on its own thread with its own vault connection. Other processes (the CLI) append to the same
/// ledger, so it simply checkpoints whatever the log holds.
final class Checkpointer: @unchecked Sendable {
    private let directory: DataDirectory
    private let interval: Double
    private let log: Log
    private let metrics: Metrics
    private let condition = NSCondition()
    private var running = false
    private var finished = true

    init(directory: DataDirectory, interval: Double, log: Log, metrics: Metrics) {
        self.directory = directory
        self.interval = interval
        self.log = log
        self.metrics = metrics
    }

    func start() {
        condition.lock()
        running = true
        finished = false
        condition.unlock()
        let thread = Thread { [self] in loop() }
        thread.name = "custody-checkpointer"
        thread.start()
    }

    /// Wakes the thread, waits for its final checkpoint.
    func stop() {
        condition.lock()
        running = false
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    private func loop() {
        var vault: Vault?
        var keepGoing = true
        while keepGoing {
            condition.lock()
            if running { _ = condition.wait(until: Date(timeIntervalSinceNow: interval)) }
            keepGoing = running
            condition.unlock()
            do {
                if vault == nil { vault = try Vault(directory: directory) }
                if let stored = try vault?.checkpoint() {
                    metrics.set("custody_ledger_checkpoint_size", Double(stored.size))
                }
            } catch {
                metrics.increment("custody_ledger_checkpoint_failures_total")
                log.error("cannot sign a ledger checkpoint", ["error": String(describing: error)])
                vault = nil  // reopen next time
            }
        }
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }
}
