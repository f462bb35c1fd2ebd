import Foundation

/// Threads that keep a CPU busy while a test checks that a result does not depend on timing (encoder
/// threads that finish in another order on a loaded machine). Bounded: each thread stops after
/// `limit` seconds even if `stop()` is never called, and `stop()` waits until they have ended.
public final class BusyLoad: @unchecked Sendable {
    private let lock = NSCondition()
    private var stopping = false
    private var running: Int

    public init(threads: Int = 1, limit: TimeInterval = 120) {
        running = threads
        let deadline = Date().addingTimeInterval(limit)
        for _ in 0..<threads {
            let thread = Thread { [self] in
                var spins: UInt64 = 0
                while !shouldStop(deadline) {
                    for _ in 0..<100_000 { spins &+= 1 }
                }
                lock.lock()
                running -= 1
                lock.broadcast()
                lock.unlock()
            }
            thread.start()
        }
    }

    private func shouldStop(_ deadline: Date) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping || Date() > deadline
    }

    /// Stops every thread and waits for them to end.
    public func stop() {
        lock.lock()
        stopping = true
        while running > 0 { lock.wait() }
        lock.unlock()
    }

    deinit { stop() }
}
