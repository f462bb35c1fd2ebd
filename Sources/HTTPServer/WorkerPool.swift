import Foundation

/// At most `maxWorkers` threads serving requests whose head is complete, and a bounded queue of such
/// requests waiting for one. Threads start on demand and end when the queue is empty, so an idle
/// server holds none.
final class WorkerPool: @unchecked Sendable {
    private let lock = NSLock()
    private var queue: [ReadyRequest] = []
    private var active = 0
    private let maxWorkers: Int
    private let maxQueued: Int
    private let work: @Sendable (ReadyRequest) -> Void

    init(maxWorkers: Int, maxQueued: Int, work: @escaping @Sendable (ReadyRequest) -> Void) {
        self.maxWorkers = max(1, maxWorkers)
        self.maxQueued = max(0, maxQueued)
        self.work = work
    }

    /// Requests being served and requests waiting, right now.
    var load: (serving: Int, queued: Int) { lock.withLock { (active, queue.count) } }

    /// Gives `request` to a free worker or queues it; false when every worker is busy and the queue is
    /// full (the caller answers 503).
    func submit(_ request: ReadyRequest) -> Bool {
        let startsWorker = lock.withLock { () -> Bool? in
            if active < maxWorkers {
                active += 1
                return true
            }
            guard queue.count < maxQueued else { return nil }
            queue.append(request)
            return false
        }
        guard let startsWorker else { return false }
        if startsWorker {
            let thread = Thread { [self] in serve(from: request) }
            thread.name = "http-worker"
            thread.start()
        }
        return true
    }

    private func serve(from first: ReadyRequest) {
        var next: ReadyRequest? = first
        while let request = next {
            work(request)
            next = lock.withLock {
                if queue.isEmpty {
                    active -= 1
                    return nil
                }
                return queue.removeFirst()
            }
        }
    }
}
