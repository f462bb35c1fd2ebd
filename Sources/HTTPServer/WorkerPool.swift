import Foundation

/// At most `maxWorkers` threads serving requests whose head is complete, and a bounded queue of such
/// requests waiting for one, each for at most `maxWait` seconds. Threads start on demand and end when
/// the queue is empty, so an idle server holds none.
final class WorkerPool: @unchecked Sendable {
    private let lock = NSLock()
    /// In arrival order, hence also in order of expiry (every request may wait the same time).
    private var queue: [(request: ReadyRequest, expiry: Deadline)] = []
    private var active = 0
    private let maxWorkers: Int
    private let maxQueued: Int
    private let maxWait: Double
    private let work: @Sendable (ReadyRequest) -> Void

    init(maxWorkers: Int, maxQueued: Int, maxWait: Double, work: @escaping @Sendable (ReadyRequest) -> Void) {
        self.maxWorkers = max(1, maxWorkers)
        self.maxQueued = max(0, maxQueued)
        self.maxWait = maxWait
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
            queue.append((request, .after(maxWait)))
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

    /// When the oldest queued request has waited `maxWait`; nil with none queued.
    var nextExpiry: Deadline? { lock.withLock { queue.first?.expiry } }

    /// Takes the queued requests that have waited `maxWait` out of the queue, for the caller to refuse.
    func takeExpired(now: Deadline = .now) -> [ReadyRequest] {
        lock.withLock {
            let count = queue.prefix { $0.expiry <= now }.count
            defer { queue.removeFirst(count) }
            return queue.prefix(count).map(\.request)
        }
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
                return queue.removeFirst().request
            }
        }
    }
}
