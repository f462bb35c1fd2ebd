import CSystem
@preconcurrency import Glibc

/// How much CPU background work (a redaction, a bundle) may take from the threads that take uploads.
public enum CPUPriority: Sendable, Equatable, CustomStringConvertible {
    /// Like any other thread (nice 0).
    case normal
    /// Niced (1-19): a weighted share, still taken from busy uploads (nice 10 gets ~10% of a core
    /// that a nice-0 thread also wants).
    case nice(Int32)
    /// Linux SCHED_IDLE: only CPU time no other thread wants; on a machine busy with uploads it waits.
    case idle

    /// `normal`, `idle` or a nice value 0-19; nil for anything else.
    public init?(_ text: String) {
        switch text {
        case "normal": self = .normal
        case "idle": self = .idle
        default:
            guard let n = Int32(text), (0...19).contains(n) else { return nil }
            self = n == 0 ? .normal : .nice(n)
        }
    }

    public var description: String {
        switch self {
        case .normal: return "normal"
        case .idle: return "idle"
        case .nice(let n): return "\(n)"
        }
    }
}

/// CPU priority of the calling thread, set so that every thread it starts later (libav's codec
/// threads too) inherits it.
public enum ThreadPriority {
    /// Sets the calling thread's priority. Returns false when the system refused it (the work then
    /// runs at the priority it had).
    @discardableResult
    public static func set(_ priority: CPUPriority) -> Bool {
        switch priority {
        case .normal: return custody_schedule_this_thread(0) == 0 && setNice(0)
        case .nice(let n): return custody_schedule_this_thread(0) == 0 && setNice(n)
        case .idle: return custody_schedule_this_thread(1) == 0
        }
    }

    /// Sets the calling thread's nice value (0-19). Returns false when the system refused it.
    @discardableResult
    public static func setNice(_ niceness: Int32) -> Bool {
        custody_nice_this_thread(niceness) == 0
    }

    /// The calling thread's nice value.
    public static var nice: Int32 {
        errno = 0
        return getpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(custody_gettid()))
    }

    /// True when the calling thread runs under SCHED_IDLE.
    public static var isIdle: Bool { custody_this_thread_is_idle() == 1 }
}
