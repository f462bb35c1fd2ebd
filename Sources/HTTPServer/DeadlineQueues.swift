/// The reactor's timers: O(1) to arm, O(1) per expiry, for any number of connections.
///
/// Every timeout the reactor uses is one of a few fixed durations (header, idle, lingering close), and
/// the monotonic clock only moves forward, so the deadlines armed with one duration come out in order:
/// one FIFO per duration is already sorted, and the next deadline is the smallest of a few queue heads.
/// A timer is never removed: re-arming a connection bumps its generation, and an expired entry whose
/// generation is stale is dropped when it comes out (each entry is 24 bytes).
struct DeadlineQueues {
    struct Entry {
        let deadline: Deadline
        let token: UInt64
        let generation: UInt64
    }

    /// One FIFO per duration (in nanoseconds), as an array with a moving head.
    private var queues: [UInt64: (entries: [Entry], head: Int)] = [:]

    /// Arms a timer `seconds` from now for `token` at `generation`; returns its deadline.
    @discardableResult
    mutating func arm(_ token: UInt64, generation: UInt64, after seconds: Double) -> Deadline {
        let duration = UInt64(max(0, seconds) * 1e9)
        let deadline = Deadline(nanoseconds: Deadline.now.nanoseconds + duration)
        queues[duration, default: ([], 0)].entries.append(Entry(deadline: deadline, token: token,
                                                                generation: generation))
        return deadline
    }

    /// The earliest armed deadline (possibly of a stale entry: waking early for it is harmless).
    var next: Deadline? {
        queues.values.compactMap { $0.head < $0.entries.count ? $0.entries[$0.head].deadline : nil }.min()
    }

    /// Removes and returns every entry whose deadline has passed, stale ones included.
    mutating func expire(now: Deadline = .now) -> [Entry] {
        var expired: [Entry] = []
        for duration in Array(queues.keys) {
            guard var queue = queues.removeValue(forKey: duration) else { continue }
            while queue.head < queue.entries.count && queue.entries[queue.head].deadline <= now {
                expired.append(queue.entries[queue.head])
                queue.head += 1
            }
            // Compact once the consumed prefix is the larger half, so memory follows the armed count.
            if queue.head > 64 && queue.head * 2 > queue.entries.count {
                queue.entries.removeFirst(queue.head)
                queue.head = 0
            }
            queues[duration] = queue
        }
        return expired
    }
}
