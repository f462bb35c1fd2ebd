import Foundation
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// For crash tests only: with `CUSTODY_TEST_WORKER_PAUSE=<point>` (`redacting`, `writing`) in its
/// environment, a worker that reaches that point writes its PID to the file
/// `CUSTODY_TEST_WORKER_PAUSE_MARK` names and waits there until it is stopped (SIGTERM) or killed, so
/// the test can act at a known moment (a remote worker too: `custody worker --server`). Nothing else
/// reads these variables.
public enum TransferTestHook {
    static let point = ProcessInfo.processInfo.environment["CUSTODY_TEST_WORKER_PAUSE"]
    static let mark = ProcessInfo.processInfo.environment["CUSTODY_TEST_WORKER_PAUSE_MARK"]

    public static func reached(_ here: String, isCancelled: () -> Bool) {
        guard let point, point == here, let mark else { return }
        try? Data("\(getpid())\n".utf8).write(to: URL(fileURLWithPath: mark), options: .atomic)
        while !isCancelled() { usleep(10_000) }
    }
}
