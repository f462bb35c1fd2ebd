import CustodyCore
import Foundation
import POSIX
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Runs API command lines in child processes of the `custody` binary, on the service's data directory,
/// as the officer whose token the request carried: the command is parsed, authorized, recorded and
/// printed exactly as on the server's own command line. At most `slots` children at once (a request
/// waits up to `queueWait` seconds for one, then is refused with 503); output beyond `maxOutput`
/// bytes kills the child; a child still running after `timeLimit` seconds gets SIGINT (a redaction
/// then stores nothing and exits 130), and SIGKILL `killAfter` seconds later (other commands inherit
/// the service's SIGINT ignored; custody is crash-safe: a killed command leaves the old state or the new).
final class CommandRunner: @unchecked Sendable {
    struct Outcome {
        let exit: Int32
        let stdout: String
        let stderr: String
    }

    let executable: String
    let directory: String
    let timeLimit: Double
    let maxOutput: Int
    let queueWait: Double
    let killAfter: Double
    private let slots: DispatchSemaphore

    init(executable: String, directory: String, slots: Int, timeLimit: Double, maxOutput: Int = 32 << 20,
         queueWait: Double = 30, killAfter: Double = 30) {
        self.killAfter = killAfter
        self.executable = executable
        self.directory = directory
        self.timeLimit = timeLimit
        self.maxOutput = maxOutput
        self.queueWait = queueWait
        self.slots = DispatchSemaphore(value: slots)
    }

    /// Runs `custody argv` as `officer`. `files` maps the paths the client named to the copies in the
    /// request's scratch folder (the child reads only those, `CUSTODY_API_FILES`); `cwd` is that folder.
    func run(_ argv: [String], as officer: String, files: [String: String], cwd: String) throws -> Outcome {
        guard slots.wait(timeout: .now() + queueWait) == .success else {
            throw APIRefusal(.serviceUnavailable, "the server is running as many commands as it allows; "
                             + "try again shortly", exit: 3)
        }
        defer { slots.signal() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = argv
        process.currentDirectoryURL = URL(fileURLWithPath: cwd)
        process.environment = try environment(officer: officer, files: files)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let child = ChildSignals(process)
        let watchdog = Watchdog(child, after: timeLimit, killAfter: killAfter)
        defer { watchdog.cancel() }
        let stderrText = CappedReader(err.fileHandleForReading, limit: maxOutput) { child.send(SIGKILL) }
        let stdoutText = CappedReader(out.fileHandleForReading, limit: maxOutput) { child.send(SIGKILL) }
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { stderrText.readToEnd() }
        stdoutText.readToEnd()
        group.wait()
        process.waitUntilExit()
        var stderr = stderrText.text
        if stdoutText.overflowed || stderrText.overflowed {
            stderr += "custody: error: the command printed more than \(maxOutput) bytes and was stopped; "
                + "narrow it (e.g. ledger log EXHIBIT)\n"
        }
        if watchdog.fired {
            stderr += "custody: error: the command ran longer than the server allows (\(timeLimit) s) "
                + "and was stopped\n"
        }
        let exit = process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
        return Outcome(exit: stdoutText.overflowed || stderrText.overflowed ? 3 : exit, stdout: stdoutText.text,
                       stderr: stderr)
    }

    /// A small environment of its own: never the server's (which could name another server, or an officer).
    private func environment(officer: String, files: [String: String]) throws -> [String: String] {
        let inherited = ProcessInfo.processInfo.environment
        var env = ["CUSTODY_DATA": directory, "CUSTODY_ACTOR": officer, "LANG": "C.UTF-8"]
        for name in ["PATH", "HOME", "TMPDIR", "TZ"] { env[name] = inherited[name] }
        let manifest = try JSONSerialization.data(withJSONObject: files, options: [.sortedKeys])
        env["CUSTODY_API_FILES"] = String(decoding: manifest, as: UTF8.self)
        return env
    }
}

/// Reads a pipe to its end, keeping at most `limit` bytes; past that it calls `overflow` once (to stop
/// the writer) and discards the rest.
private final class CappedReader: @unchecked Sendable {
    private let handle: FileHandle
    private let limit: Int
    private let overflow: () -> Void
    private var data = Data()
    private(set) var overflowed = false

    init(_ handle: FileHandle, limit: Int, overflow: @escaping () -> Void) {
        self.handle = handle
        self.limit = limit
        self.overflow = overflow
    }

    func readToEnd() {
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            if data.count + chunk.count > limit {
                if !overflowed { overflowed = true; overflow() }
                continue
            }
            data += chunk
        }
        try? handle.close()
    }

    var text: String { String(decoding: data, as: UTF8.self) }
}

/// Signals to one child, through a pidfd (`ProcessDescriptor`): a timer or a reader thread that fires
/// after the child exited and was reaped (`Process` reaps it on a thread of its own, at any moment)
/// signals nothing, never a process that took its PID since. Where pidfds are missing (Linux before
/// 5.3), by PID while `Process` says the child runs, which leaves that race open but narrow.
final class ChildSignals: @unchecked Sendable {
    private let process: Process
    private let descriptor: ProcessDescriptor?
    /// The child had exited (and may have been reaped) by the time its pidfd was opened: that pidfd could be
    /// another process's, which took the PID, so nothing is ever sent.
    let signalsNothing: Bool

    init(_ process: Process) {
        self.process = process
        let opened = try? ProcessDescriptor(pid: process.processIdentifier)
        // Still running after the pidfd was opened: it had not been reaped, so its PID was not free and the
        // pidfd is the child's.
        signalsNothing = !process.isRunning
        descriptor = signalsNothing ? nil : opened
    }

    func send(_ signal: Int32) {
        if signalsNothing { return }
        if let descriptor {
            descriptor.send(signal)
        } else if process.isRunning {
            kill(process.processIdentifier, signal)
        }
    }
}

/// Interrupts a child that runs past its time, then kills it if it does not stop.
private final class Watchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var didFire = false
    private var items: [DispatchWorkItem] = []

    init(_ child: ChildSignals, after seconds: Double, killAfter grace: Double) {
        let interrupt = DispatchWorkItem { [weak self] in
            self?.markFired()
            child.send(SIGINT)
        }
        let killing = DispatchWorkItem { child.send(SIGKILL) }
        items = [interrupt, killing]
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: interrupt)
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds + grace, execute: killing)
    }

    private func markFired() { lock.lock(); didFire = true; lock.unlock() }

    var fired: Bool { lock.lock(); defer { lock.unlock() }; return didFire }

    /// Called once the child has exited: nothing is sent after this.
    func cancel() { items.forEach { $0.cancel() } }
}
