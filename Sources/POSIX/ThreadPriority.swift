import CSystem
@preconcurrency import Glibc

/// CPU priority of the calling thread: background work (a redaction) runs niced, so the threads that
/// take uploads keep their speed while it runs.
public enum ThreadPriority {
    /// Sets the calling thread's nice value (0-19), and so that of every thread it starts later (libav's
    /// codec threads too). Returns false when the system refused it (the work runs at normal priority).
    @discardableResult
    public static func setNice(_ niceness: Int32) -> Bool {
        custody_nice_this_thread(niceness) == 0
    }

    /// The calling thread's nice value.
    public static var nice: Int32 {
        errno = 0
        return getpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(custody_gettid()))
    }
}
