import CustodyCore
import Foundation
import Vault

/// Whether the chunk store answered when last asked, and a task that asks again while it does not. `custody serve`
/// starts with an S3 store it cannot reach (a bucket that answers and refuses still stops it): docks stage their
/// uploads meanwhile, `/healthz` and `custody doctor` say the store is down, and once it answers the uploads whose
/// last byte came in while it was down are completed into it at once, not at the sweeper's backed-off retry.
final class StoreWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var why: String?
    private var task: PeriodicTask?
    private let log: Log

    /// `problem`: why the store could not be reached at start (nil: it answered; nothing to watch).
    init(directory: DataDirectory, interval: Double, log: Log, tus: TusHandler, problem: String?) {
        self.log = log
        why = problem
        guard problem != nil else { return }
        task = PeriodicTask("store-watch", directory: directory, interval: interval, log: log,
                            runsWhenStopped: false) { [self] vault in check(vault, tus: tus) }
    }

    /// Why the store cannot be reached; nil when it answered when last asked.
    var problem: String? { lock.withLock { why } }

    func start() { task?.start() }
    func stop() { task?.stop() }

    private func check(_ vault: Vault, tus: TusHandler) {
        guard problem != nil else { return }
        do { try vault.checkStore(again: true) } catch {
            lock.withLock { why = "\(error)" }
            return
        }
        lock.withLock { why = nil }
        log.info("the chunk store answers again; completing the uploads received while it was down", [:])
        tus.retries.reset()
        do { try tus.finishReceivedUploads(vault) } catch {
            log.error("received uploads could not be listed; the sweeper completes them",
                      ["error": String(describing: error)])
        }
    }
}
