import CustodyCore
import Dispatch
import Foundation
import POSIX
import Transfer
import Vault
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

struct WorkerCommand: OptionsOnlyCommand {
    static let name = "worker"
    static let summary = "Build queued court bundles (what `custody serve` also does), without the service."
    static let usage = """
        worker [--jobs N] [--priority idle|normal|0-19] [--once] [--data DIR]

        Leases queued transfer jobs one at a time (--jobs: that many at once) and builds each bundle at
        idle CPU priority (Linux SCHED_IDLE: only CPU time uploads leave; --priority normal, or a nice
        value, gives it a share of a busy machine, taken from uploads). Any number of workers, in any
        processes, may share a data directory: a job is leased by one at a time, and its lease is renewed
        while it runs. A failed attempt is tried again after 5 s, 10 s, 20 s, 40 s; after 5 attempts the
        job is failed. A worker killed mid-job leaves no
        half bundle; the next worker takes the job over once its lease (60 s) ends, at once when the dead
        worker ran on this machine, reusing any redaction it stored. --once: build what is due, then exit
        (exit 3 if an attempt failed). SIGTERM or SIGINT stops it: a job being built goes back to the queue.
        """
    static let options: [OptionSpec] = [
        .option("jobs", "N", "jobs built at once, 1-8 (default 1: redactions are CPU-heavy)"),
        .option("priority", "P", "CPU priority of the jobs: idle (default), normal, or a nice value 1-19"),
        .flag("once", "build the jobs that are due, then exit"),
        .data,
    ]

    let args: Arguments

    func run() throws -> Int32 {
        var options = TransferWorker.Options()
        options.jobs = try args.int("jobs", in: 1...8) ?? 1
        options.priority = try Self.priority(args, "priority")
        let directory = Context.directory(args)
        _ = try Context.openVault(args)  // refuses a directory that is no vault; checkpointed at the end
        let worker = TransferWorker(directory: directory, options: options, log: { message, fields in
            Output.note("worker: \(message) " + fields.sorted { $0.key < $1.key }.map { "\($0)=\($1)" }
                .joined(separator: " "))
        })
        let signals = [SIGTERM, SIGINT].map { number -> DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { worker.stop() }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        guard args.flag("once") else {
            worker.start()
            worker.waitUntilStopped()
            return 0
        }
        let outcomes = try Self.runOnce(worker, jobs: options.jobs)
        for outcome in outcomes {
            switch outcome {
            case .built(let id): print("\(id) built")
            case .failed(let id, let error): print("\(id) attempt failed: \(error.escapedForTerminal)")
            case .released(let id): print("\(id) given back to the queue")
            }
        }
        return outcomes.contains { if case .failed = $0 { return true } else { return false } } ? 3 : 0
    }

    /// The CPU priority option `name` gives (default idle).
    static func priority(_ args: Arguments, _ name: String) throws -> CPUPriority {
        guard let text = args.value(name) else { return .idle }
        guard let priority = CPUPriority(text) else {
            throw CustodyError.invalidInput(field: name, "--\(name) must be idle, normal or a nice value 0-19, "
                                            + "not \(text.prefix(32))")
        }
        return priority
    }

    /// `jobs` threads, each building due jobs until none is left.
    static func runOnce(_ worker: TransferWorker, jobs: Int) throws -> [TransferWorker.Outcome] {
        let results = (0..<jobs).map { _ in Unchecked(value: Box()) }
        DispatchQueue.concurrentPerform(iterations: jobs) { slot in
            // Each thread writes only its own box, read after all have ended.
            results[slot].value.result = Result { try worker.runUntilIdle(slot: slot) }
        }
        return try results.flatMap { try $0.value.result!.get() }
    }

    private final class Box {
        var result: Result<[TransferWorker.Outcome], any Error>?
    }
}
