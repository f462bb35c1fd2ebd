import Catalog
import CustodyCore
import Foundation
import Transfer
import Vault

/// `bundle create --wait`: follows a queued job to its end, its steps on stderr. A worker (of
/// `custody serve` or `custody worker`) that takes the job within `grace` seconds runs it; otherwise it
/// runs in this process, niced like a worker's, and Ctrl-C gives it back to the queue.
struct BundleWait {
    let vault: Vault
    let directory: DataDirectory
    let id: String
    let actor: Actor
    var grace = 3.0

    /// The bundle once its job is done or failed (or, run here, once its attempt ended).
    func run() throws -> BundleRegistry.Bundle {
        var current = try fetch()
        let deadline = Date(timeIntervalSinceNow: grace)
        while isUntouched(current) && Date() < deadline {
            usleep(100_000)
            current = try fetch()
        }
        guard isUntouched(current) else { return try follow(inProcess: nil) }
        Output.note("no worker took \(id) within \(Int(grace)) s: building it in this process "
                    + "(`custody worker` or `custody serve` builds queued bundles)")
        var options = TransferWorker.Options()
        options.onStep = { bundle, step in Output.note("\(bundle): \(step)") }
        let worker = TransferWorker(directory: directory, options: options)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread { [id] in
            do { _ = try worker.runUntilIdle(only: id) } catch {
                Output.error("the worker in this process failed: \(error)")
            }
            done.signal()
        }
        let interrupt = Interrupt()
        defer { interrupt.stop() }
        thread.start()
        return try follow(inProcess: (worker, done, interrupt))
    }

    private func isUntouched(_ b: BundleRegistry.Bundle) -> Bool { b.state == .queued && b.attempts == 0 }

    private func fetch() throws -> BundleRegistry.Bundle { try vault.bundleDetail(id, for: actor).bundle }

    /// Shows the job's steps until it ends (or, when it runs here, until this process's attempt ends).
    private func follow(inProcess: (TransferWorker, DispatchSemaphore, Interrupt)?) throws -> BundleRegistry.Bundle {
        var step: String?
        var bar: ProgressBar?
        defer { bar?.finish() }
        while true {
            let ended = inProcess.map { $0.1.wait(timeout: .now() + 0.2) == .success } ?? false
            if inProcess == nil { usleep(200_000) }
            if let (worker, _, interrupt) = inProcess, interrupt.isSet(), !worker.isStopping {
                Output.note("stopping: \(id) goes back to the queue")
                worker.stop()
            }
            let b = try fetch()
            if b.step != step, let now = b.step {
                bar?.finish()
                if inProcess == nil { Output.note("\(id): \(now)") }  // run here: the worker tells each step
                bar = ProgressBar("\(id) \(now)")
                step = now
            }
            bar?.update(fraction: b.progress ?? 0)
            if inProcess != nil && ended && b.state == .running {
                // Another worker leased it just before this process tried (or took it over): follow that one.
                bar?.finish()
                bar = nil
                return try follow(inProcess: nil)
            }
            if inProcess != nil ? ended : (b.state == .done || b.state == .failed) { return b }
        }
    }
}
