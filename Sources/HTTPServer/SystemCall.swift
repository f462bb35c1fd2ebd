@preconcurrency import Glibc
import POSIX

/// A point on the monotonic clock after which an operation gives up.
struct Deadline: Sendable, Comparable {
    let nanoseconds: UInt64

    static var now: Deadline {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Deadline(nanoseconds: UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec))
    }

    static func after(_ seconds: Double) -> Deadline {
        Deadline(nanoseconds: now.nanoseconds + UInt64(max(0, seconds) * 1e9))
    }

    static let distantFuture = Deadline(nanoseconds: UInt64.max / 2)

    /// Milliseconds left, rounded up so a poll does not wake just before the deadline; 0 when passed.
    var remainingMilliseconds: Int32 {
        let now = Deadline.now.nanoseconds
        guard nanoseconds > now else { return 0 }
        return Int32(min((nanoseconds - now + 999_999) / 1_000_000, UInt64(Int32.max)))
    }

    func seconds(since start: Deadline) -> Double {
        Double(nanoseconds &- start.nanoseconds) / 1e9
    }

    static func < (lhs: Deadline, rhs: Deadline) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
}

/// Why waiting on a socket ended without data.
enum WaitError: Error {
    /// The deadline passed.
    case timedOut
    /// The server's wake-up pipe fired (shutdown) while the connection was idle.
    case woken
}

/// Waits until `fd` is ready for `events` or the deadline passes; also wakes when `wakeFD` is readable.
func waitFor(_ fd: Int32, events: Int16, until deadline: Deadline, wakeFD: Int32? = nil) throws {
    var fds = [pollfd(fd: fd, events: events, revents: 0)]
    if let wakeFD { fds.append(pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)) }
    while true {
        let timeout = deadline.remainingMilliseconds
        if timeout == 0 && deadline < .distantFuture {
            // One last non-blocking look so a deadline of "now" still sees data that is already there.
            let ready = try systemCall("poll", "waiting on a socket") { poll(&fds, nfds_t(fds.count), 0) }
            if ready == 0 { throw WaitError.timedOut }
        } else {
            let ready = try systemCall("poll", "waiting on a socket") {
                poll(&fds, nfds_t(fds.count), deadline == .distantFuture ? -1 : timeout)
            }
            if ready == 0 { continue }
        }
        if fds.count > 1 && fds[1].revents != 0 && fds[0].revents == 0 { throw WaitError.woken }
        if fds[0].revents != 0 { return }
    }
}

/// Sets O_NONBLOCK on a descriptor.
func setNonBlocking(_ fd: Int32) throws {
    let flags = try systemCall("fcntl", "reading socket flags") { fcntl(fd, F_GETFL) }
    try systemCall("fcntl", "making a socket non-blocking") { fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
}

/// Raises the soft limit on open descriptors to `needed` (at most the hard limit): a soft limit of 1024,
/// common by default, would refuse connections long before the server's own limit. Never lowers it.
func raiseOpenFileLimit(to needed: Int) {
    var limit = rlimit()
    let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    guard getrlimit(resource, &limit) == 0, limit.rlim_cur < rlim_t(needed) else { return }
    limit.rlim_cur = min(rlim_t(needed), limit.rlim_max)
    _ = setrlimit(resource, &limit)
}
