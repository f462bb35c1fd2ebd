import CustodyCore
import Foundation
import Vault

/// Renews a worker's lease on its job every quarter of the lease, on its own thread and vault
/// connection, while the job runs; `lost` turns true when the lease is no longer the worker's
/// (revoked, or lapsed and taken over), and the job stops.
final class LeaseHeartbeat: @unchecked Sendable {
    private let directory: DataDirectory
    private let bundle: String
    private let owner: String
    private let options: TransferWorker.Options
    private let log: @Sendable (String, [String: String]) -> Void
    private let condition = NSCondition()
    private var running = false
    private var finished = true
    private var isLost = false

    init(directory: DataDirectory, bundle: String, owner: String, options: TransferWorker.Options,
         log: @escaping @Sendable (String, [String: String]) -> Void) {
        self.directory = directory
        self.bundle = bundle
        self.owner = owner
        self.options = options
        self.log = log
    }

    var lost: Bool {
        condition.lock()
        defer { condition.unlock() }
        return isLost
    }

    func start() {
        condition.lock()
        running = true
        finished = false
        condition.unlock()
        let thread = Thread { [self] in loop() }
        thread.name = "custody-lease-\(bundle)"
        thread.start()
    }

    func stop() {
        condition.lock()
        running = false
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    private func loop() {
        var vault: Vault?
        let interval = max(0.05, Double(options.leaseSeconds) / 4)
        while true {
            condition.lock()
            let due = Date(timeIntervalSinceNow: interval)
            while running && condition.wait(until: due) {}
            let keepGoing = running
            condition.unlock()
            guard keepGoing else { break }
            do {
                if vault == nil { vault = try Vault(directory: directory) }
                let held = try vault!.renewBundleLease(bundle, owner: owner,
                                                       until: options.clock.now() + options.leaseSeconds)
                if !held {
                    log("transfer job lease lost", ["bundle": bundle])
                    condition.lock()
                    isLost = true
                    condition.unlock()
                    break
                }
            } catch {
                log("cannot renew the transfer job's lease", ["bundle": bundle, "error": String(describing: error)])
                vault = nil
            }
        }
        vault = nil
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }
}
