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
    static let summary = "Build queued court bundles (what `custody serve` also does), or, with --server, make "
        + "bundles' redactions for a primary on another machine."
    static let usage = """
        worker [--jobs N] [--priority idle|normal|0-19] [--once] [--data DIR]
        worker --server URL [--token-file FILE | --token T] [--store LOCATION] [--credentials FILE]
               [--ca-file PEM] [--scratch DIR] [--jobs N] [--priority P]

        Leases queued transfer jobs one at a time (--jobs: that many at once) and builds each bundle at
        idle CPU priority (Linux SCHED_IDLE: only CPU time uploads leave; --priority normal, or a nice
        value, gives it a share of a busy machine, taken from uploads). Any number of workers, in any
        processes, may share a data directory: a job is leased by one at a time, and its lease is renewed
        while it runs. A failed attempt is tried again after 5 s, 10 s, 20 s, 40 s; after 5 attempts the
        job is failed. A worker killed mid-job leaves no
        half bundle; the next worker takes the job over once its lease (60 s) ends, at once when the dead
        worker ran on this machine, reusing any redaction it stored. --once: build what is due, then exit
        (exit 3 if an attempt failed). SIGTERM or SIGINT stops it: a job being built goes back to the queue.

        With --server URL it is a remote redaction worker (README, Remote redaction workers): registered
        on the primary with `custody worker add NAME` (--token-file, a 0600 file holding the token that
        printed, or $CUSTODY_WORKER_TOKEN; --token shows in `ps`, so prefer either), it leases bundles'
        redactions from the primary, reads the recordings straight from
        the shared chunk store (--store: its folder or s3:// location, by default where the server says its
        store is; an S3 key pair from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or --credentials, a 0600
        file of those two lines; an https:// endpoint's certificate checked against the system's CAs, or
        only --ca-file: the primary never sends its own CA file's path),
        makes each clip in a private folder under --scratch (default $TMPDIR or /tmp), writes the clip's
        chunks to the store and reports them; the primary checks and catalogues them. SIGTERM gives the
        leases back. It stops with exit 3, saying why, when the server or the store cannot be reached.
        """
    static let options: [OptionSpec] = [
        .option("jobs", "N", "jobs built at once, 1-8 (default 1: redactions are CPU-heavy)"),
        .option("priority", "P", "CPU priority of the jobs: idle (default), normal, or a nice value 1-19"),
        .flag("once", "build the jobs that are due, then exit"),
        .data,
        .option("server", "URL", "the primary custody server to make redactions for (a remote worker)"),
        .option("token-file", "FILE", "with --server: a 0600 file holding this worker's token"),
        .option("token", "T", "with --server: this worker's token (shows in `ps`: prefer --token-file or "
                + "$CUSTODY_WORKER_TOKEN)"),
        .option("store", "LOCATION", "with --server: the shared chunk store's folder or s3:// location (default: the "
                + "server's)"),
        .option("credentials", "FILE", "with --server: the S3 key pair, a 0600 file (default: AWS_* variables)"),
        .option("ca-file", "PEM", "with --server: trust only this CA for the S3 endpoint (default: the system's)"),
        .option("scratch", "DIR", "with --server: where clips are made (default $TMPDIR or /tmp)"),
    ]

    let args: Arguments

    func run() throws -> Int32 {
        if let server = args.value("server") { return try remote(server) }
        if let given = ["token", "token-file", "store", "credentials", "ca-file", "scratch"]
            .first(where: { args.value($0) != nil }) {
            throw CustodyError.invalidInput(field: "--\(given)", "--\(given) is for a remote worker: give --server too")
        }
        var options = TransferWorker.Options()
        options.jobs = try args.int("jobs", in: 1...8) ?? 1
        options.priority = try Self.priority(args, "priority")
        let directory = Context.directory(args)
        _ = try Context.openVault(args)  // refuses a directory that is no vault; checkpointed at the end
        let worker = TransferWorker(directory: directory, options: options, log: { message, fields in
            Output.note("worker: \(message) " + fields.sorted { $0.key < $1.key }.map { "\($0)=\($1)" }
                .joined(separator: " "))
        })
        let signals = Self.onStopSignals { worker.stop() }
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

    /// `--server`: a remote redaction worker, until SIGTERM or SIGINT (exit 0) or a failure (thrown).
    private func remote(_ server: String) throws -> Int32 {
        if let given = ["data", "once"].first(where: { $0 == "once" ? args.flag($0) : args.value($0) != nil }) {
            throw CustodyError.invalidInput(field: "--\(given)", "--\(given) has no meaning with --server: a remote "
                                            + "worker has no data directory and runs until stopped")
        }
        let environment = ProcessInfo.processInfo.environment
        let scratch = args.value("scratch") ?? environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: scratch, isDirectory: &isFolder), isFolder.boolValue else {
            throw CustodyError.invalidInput(field: "--scratch", "--scratch \(scratch.prefix(200)) is not a folder")
        }
        let token = try Self.token(args, environment)
        let worker = RemoteWorker(.init(server: server, token: token, store: args.value("store"),
                                        credentials: args.value("credentials"), caFile: args.value("ca-file"),
                                        scratch: scratch,
                                        jobs: try args.int("jobs", in: 1...8) ?? 1,
                                        priority: try Self.priority(args, "priority")))
        let store = try worker.connect()
        let signals = Self.onStopSignals { worker.stop() }
        defer { signals.forEach { $0.cancel() } }
        RemoteWorker.log("started", ["server": server, "store": store, "jobs": String(worker.options.jobs)])
        try worker.run(store: store)
        RemoteWorker.log("stopped", [:])
        return 0
    }

    /// The most a token file may hold: a token (`cwt_` and 43 characters) and its newline, with room to spare.
    static let maxTokenFileSize = 1024

    /// The worker's token: `--token-file` (0600, this user's, checked as S3 credentials are), else `--token`, else
    /// $CUSTODY_WORKER_TOKEN; empty when none gives one (the client says what is needed). Never quoted.
    static func token(_ args: Arguments, _ environment: [String: String]) throws -> String {
        guard let file = args.value("token-file") else {
            return args.value("token") ?? environment["CUSTODY_WORKER_TOKEN"] ?? ""
        }
        guard args.value("token") == nil else {
            throw CustodyError.invalidInput(field: "--token-file", "give --token-file or --token, not both")
        }
        do {
            return try PrivateFile.read(file, maxSize: maxTokenFileSize).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            let message = PrivateFile.message(error, file, holding: "a worker token", maxSize: maxTokenFileSize)
            throw error.exposesTheSecret ? CustodyError.refused(message)
                : CustodyError.invalidInput(field: "--token-file", message)
        }
    }

    /// SIGTERM and SIGINT run `stop` (on a queue, not in a signal handler).
    static func onStopSignals(_ stop: @escaping @Sendable () -> Void) -> [DispatchSourceSignal] {
        [SIGTERM, SIGINT].map { number -> DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: stop)
            source.resume()
            return source
        }
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
