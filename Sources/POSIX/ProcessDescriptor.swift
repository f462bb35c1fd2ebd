import CSystem
@preconcurrency import Glibc

/// A child process held by a pidfd (Linux 5.3 and later). A signal sent through it reaches that
/// process or, once it has been reaped, none: never another process that took its PID since, as
/// `kill(pid, ...)` from a timer or a reader thread could.
public final class ProcessDescriptor: @unchecked Sendable {
    private let fd: Int32

    /// Opens a pidfd for `pid`, which must be a child not yet waited for (so its PID is still its own).
    public init(pid: pid_t) throws {
        fd = custody_pidfd_open(pid)
        guard fd >= 0 else { throw SystemError(call: "pidfd_open", errno: errno, context: "process \(pid)") }
    }

    deinit { close(fd) }

    /// Sends `signal`; false when the process is gone (reaped) or the signal cannot be sent.
    @discardableResult
    public func send(_ signal: Int32) -> Bool { custody_pidfd_send_signal(fd, signal) == 0 }
}
