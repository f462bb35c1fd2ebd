import CustodyCore
import Dispatch
import Foundation
import Vault

/// Renews a worker's lease on its job every quarter of the lease, on a timer with its own vault
/// connection, while the job runs; `lost` turns true when the lease is no longer the worker's
/// (revoked, or lapsed and taken over), and the job stops.
final class LeaseHeartbeat: @unchecked Sendable {
    private let directory: DataDirectory
    private let bundle: String
    private let owner: String
    private let options: TransferWorker.Options
    private let log: @Sendable (String, [String: String]) -> Void
    /// Runs the renewals one at a time; `vault` is touched only there.
    private let queue: DispatchQueue
    private let timer: DispatchSourceTimer
    private var vault: Vault?
    private let lock = NSLock()
    private var isLost = false

    init(directory: DataDirectory, bundle: String, owner: String, options: TransferWorker.Options,
         log: @escaping @Sendable (String, [String: String]) -> Void) {
        self.directory = directory
        self.bundle = bundle
        self.owner = owner
        self.options = options
        self.log = log
        queue = DispatchQueue(label: "custody-lease-\(bundle)")
        timer = DispatchSource.makeTimerSource(queue: queue)
    }

    var lost: Bool { lock.withLock { isLost } }

    func start() {
        let interval = max(0.05, Double(options.leaseSeconds) / 4)
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler { [self] in renew() }
        timer.resume()
    }

    /// Stops renewing; returns once no renewal runs any more.
    func stop() {
        timer.cancel()
        queue.sync { vault = nil }
    }

    private func renew() {
        guard !lost else { return }
        do {
            if vault == nil { vault = try Vault(directory: directory) }
            if try !vault!.renewBundleLease(bundle, owner: owner, until: options.clock.now() + options.leaseSeconds) {
                log("transfer job lease lost", ["bundle": bundle])
                lock.withLock { isLost = true }
            }
        } catch {
            log("cannot renew the transfer job's lease", ["bundle": bundle, "error": String(describing: error)])
            vault = nil
        }
    }
}
