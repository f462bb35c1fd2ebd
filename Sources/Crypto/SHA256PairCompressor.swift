import CSHA256x2
import Foundation

/// A thread that compresses the blocks of several `SHA256Pair`s, two pairs at a time when it can.
///
/// One upload has two hashes to compute over one stream (its own and its chunk's), and two lanes
/// still leave a core's SHA256RNDS2 unit idle part of the time. Four lanes over two streams
/// (`custody_sha256x2x2_blocks`) get about 1.4 times the bytes per second on Zen 3. Uploads that
/// arrive together hand their blocks here and are hashed together; an upload on its own is hashed
/// alone. Callers wait until their blocks are done, so their buffers stay valid meanwhile. One
/// thread caps the hashing of all callers at about 2.2 GB/s there, more than a 10 GbE link brings.
public final class SHA256PairCompressor: @unchecked Sendable {
    /// The process's compressor (its thread starts on first use and ends after 10 s idle).
    public static let shared = SHA256PairCompressor()

    /// Below this many blocks the caller compresses by itself: handing over would cost more.
    static let minimumBlocks = 256
    /// Blocks compressed between two looks at the queue, so a newcomer is paired within ~40 µs.
    private static let segmentBlocks = 1024

    private final class Job: @unchecked Sendable {
        let whole: UnsafeMutablePointer<UInt32>
        let part: UnsafeMutablePointer<UInt32>
        var data: UnsafePointer<UInt8>
        var blocks: Int
        let done = DispatchSemaphore(value: 0)

        init(whole: UnsafeMutablePointer<UInt32>, part: UnsafeMutablePointer<UInt32>, data: UnsafePointer<UInt8>, blocks: Int) {
            (self.whole, self.part, self.data, self.blocks) = (whole, part, data, blocks)
        }

        func advance(_ n: Int) {
            data += 64 * n
            blocks -= n
        }
    }

    private let condition = NSCondition()
    private var queue: [Job] = []
    private var running = false
    /// Segments compressed four lanes wide and two lanes wide (for tests and curiosity).
    private var counts = (paired: 0, alone: 0)

    init() {}

    /// Compresses `blocks` blocks at `data` into both states; returns when done. Only where
    /// `SHA256Pair.isAccelerated`.
    func compress(whole: UnsafeMutablePointer<UInt32>, part: UnsafeMutablePointer<UInt32>,
                  data: UnsafePointer<UInt8>, blocks: Int) {
        guard blocks >= Self.minimumBlocks else {
            custody_sha256x2_blocks(whole, part, data, blocks)
            return
        }
        let job = Job(whole: whole, part: part, data: data, blocks: blocks)
        condition.lock()
        queue.append(job)
        if !running {
            running = true
            let thread = Thread { [self] in run() }
            thread.name = "sha256-pairs"
            thread.start()
        }
        condition.signal()
        condition.unlock()
        job.done.wait()
    }

    /// How many segments were compressed with a partner and alone so far.
    var segments: (paired: Int, alone: Int) {
        condition.lock()
        defer { condition.unlock() }
        return counts
    }

    private func run() {
        var active: [Job] = []
        while true {
            condition.lock()
            while active.isEmpty && queue.isEmpty {
                // Idle for a while: the thread ends, and the next caller starts another.
                if !condition.wait(until: Date(timeIntervalSinceNow: 10)) && queue.isEmpty {
                    running = false
                    condition.unlock()
                    return
                }
            }
            while active.count < 2 && !queue.isEmpty { active.append(queue.removeFirst()) }
            if active.count == 2 { counts.paired += 1 } else { counts.alone += 1 }
            condition.unlock()

            let n = min(Self.segmentBlocks, active.map(\.blocks).min()!)
            if active.count == 2 {
                let (x, y) = (active[0], active[1])
                custody_sha256x2x2_blocks(x.whole, x.part, x.data, y.whole, y.part, y.data, n)
            } else {
                custody_sha256x2_blocks(active[0].whole, active[0].part, active[0].data, n)
            }
            for job in active { job.advance(n) }
            active.removeAll { job in
                guard job.blocks == 0 else { return false }
                job.done.signal()
                return true
            }
        }
    }
}
