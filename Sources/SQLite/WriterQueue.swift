#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Where the threads of one process that write the same database file wait their turn, first come first
/// served, before SQLite's write lock. SQLite's own wait (the busy timeout) polls the lock with sleeps, so
/// among many writer threads of a busy server one can lose every round until its 10 s run out and its
/// request fails (`Scripts/load`: 50 docks and 4 downloaders on two loaded cores gave docks 500s, "database
/// is locked"). Here a waiter sleeps until the writers that came before it have finished; other processes
/// (the CLI, a worker) still meet at SQLite's lock as before.
final class WriterQueue: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let turnChanged = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Tickets: the next one given, the one whose turn it is, and those whose holders stopped waiting.
    private var nextTicket: UInt64 = 0
    private var serving: UInt64 = 0
    private var abandoned: Set<UInt64> = []
    /// The thread whose turn it is, if any.
    private var owner: pthread_t?

    private init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(turnChanged, nil)
    }

    deinit {
        pthread_cond_destroy(turnChanged)
        pthread_mutex_destroy(mutex)
        turnChanged.deallocate()
        mutex.deallocate()
    }

    private static let registry = Registry()

    /// The queue of the file at `path` (as given: another spelling of the same file gets another queue,
    /// and its writers meet at SQLite's lock only, as without one).
    static func forFile(_ path: String) -> WriterQueue { registry.queue(path) }

    /// Runs `body` once the writers that came before have finished. After `timeoutMs` without the turn,
    /// and at once for the thread whose turn it is (writing through a second connection to the file),
    /// `body` runs without it and meets SQLite's lock and busy timeout, as it would without a queue.
    func inTurn<T>(timeoutMs: Int32, _ body: () throws -> T) rethrows -> T {
        guard wait(timeoutMs: timeoutMs) else { return try body() }
        defer { next() }
        return try body()
    }

    /// Takes a ticket and waits for its turn; false when the turn did not come in time or is already held
    /// by this thread.
    private func wait(timeoutMs: Int32) -> Bool {
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        let nanoseconds = Int(deadline.tv_nsec) + Int(timeoutMs % 1000) * 1_000_000
        deadline.tv_sec += Int(timeoutMs / 1000) + nanoseconds / 1_000_000_000
        deadline.tv_nsec = nanoseconds % 1_000_000_000
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if let owner, pthread_equal(owner, pthread_self()) != 0 { return false }
        let ticket = nextTicket
        nextTicket += 1
        while serving != ticket {
            if pthread_cond_timedwait(turnChanged, mutex, &deadline) == ETIMEDOUT && serving != ticket {
                abandoned.insert(ticket)
                return false
            }
        }
        owner = pthread_self()
        return true
    }

    /// Ends this thread's turn and gives it to the next ticket still waiting.
    private func next() {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        owner = nil
        serving += 1
        while abandoned.remove(serving) != nil { serving += 1 }
        pthread_cond_broadcast(turnChanged)
    }

    /// Every queue made so far, by path: one per database file the process opened (a service opens one;
    /// a test run thousands, of a few hundred bytes each).
    private final class Registry: @unchecked Sendable {
        private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        private var queues: [String: WriterQueue] = [:]

        init() { pthread_mutex_init(mutex, nil) }

        func queue(_ path: String) -> WriterQueue {
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            if let queue = queues[path] { return queue }
            let queue = WriterQueue()
            queues[path] = queue
            return queue
        }
    }
}
