import CSHA256x2
import Foundation

/// Lets concurrent `SHA256Pair`s compress their blocks two pairs at a time.
///
/// One upload has two hashes to compute over one stream (its own and its chunk's), and two lanes
/// still leave a core's SHA256RNDS2 unit idle part of the time. Four lanes over two streams
/// (`custody_sha256x2x2_blocks`) get about 1.4 times the bytes per second on Zen 3, so two uploads
/// hashed together cost about 30% less CPU than each on its own.
///
/// There is no thread of its own: callers pair up. A caller with a long run of blocks that finds
/// another caller hashing alone parks its run and sleeps; the other takes it at its next segment
/// (every 64 KiB) and compresses both. Whoever's run ends first leaves: a finished parked run wakes
/// its caller, and a caller whose own run ends hands its partner's rest back to the partner's
/// caller. Two callers that find themselves hashing alone at once pair up the same way: one parks
/// the rest of its run with the other. Callers park only while at least half the cores are hashing
/// already: on a machine with cores to spare each upload hashes on its own thread at full speed,
/// and pairing (each run at about 0.7 times its solo speed, for 30% less CPU) starts when hashing
/// takes a good share of them.
public final class SHA256PairCompressor: @unchecked Sendable {
    /// The process's compressor.
    public static let shared = SHA256PairCompressor()

    /// Shorter runs are compressed at once by the caller: sleeping and waking (~50-90 µs) would
    /// cost more than pairing saves.
    static let minimumBlocks = 1 << 14
    /// Blocks compressed between two looks for a parked run: a parked run waits about 40 µs while
    /// the caller who will take it is running.
    private static let segmentBlocks = 1024

    private final class Run: @unchecked Sendable {
        let whole: UnsafeMutablePointer<UInt32>
        let part: UnsafeMutablePointer<UInt32>
        var data: UnsafePointer<UInt8>
        var blocks: Int
        /// Signalled when another caller finished this run, or handed it back unfinished.
        let wake = DispatchSemaphore(value: 0)

        init(whole: UnsafeMutablePointer<UInt32>, part: UnsafeMutablePointer<UInt32>, data: UnsafePointer<UInt8>, blocks: Int) {
            (self.whole, self.part, self.data, self.blocks) = (whole, part, data, blocks)
        }

        func advance(_ n: Int) {
            data += 64 * n
            blocks -= n
        }
    }

    private let lock = NSLock()
    /// Runs whose callers sleep until a lone caller takes them. Never more than `alone`, so each
    /// has a caller that will take it or hand it back.
    private var parked: [Run] = []
    /// Callers compressing their own run with no partner.
    private var alone = 0
    /// Callers compressing (alone or with a partner).
    private var drivers = 0
    /// Callers park only while this many drive: half the cores, at least one.
    private let parkingThreshold = max(1, ProcessInfo.processInfo.activeProcessorCount / 2)
    /// Segments compressed four lanes wide and two lanes wide (for tests and curiosity).
    private var counts = (paired: 0, alone: 0)

    init() {}

    /// Compresses `blocks` blocks at `data` into both states; returns when done. Only where
    /// `SHA256Pair.isAccelerated`. The pointers must stay valid until it returns.
    func compress(whole: UnsafeMutablePointer<UInt32>, part: UnsafeMutablePointer<UInt32>,
                  data: UnsafePointer<UInt8>, blocks: Int) {
        guard blocks >= Self.minimumBlocks else {
            custody_sha256x2_blocks(whole, part, data, blocks)
            return
        }
        let run = Run(whole: whole, part: part, data: data, blocks: blocks)
        lock.lock()
        if alone > parked.count && drivers >= parkingThreshold {
            parked.append(run)
            lock.unlock()
            run.wake.wait()
            // Finished by a partner, or handed back (and counted on this caller's behalf).
            if run.blocks == 0 { return }
        } else {
            alone += 1
            drivers += 1
            lock.unlock()
        }
        drive(run)
    }

    /// How many segments were compressed with a partner and alone so far.
    var segments: (paired: Int, alone: Int) {
        lock.withLock { counts }
    }

    /// Compresses `own` to its end, with a parked run beside it whenever there is one. The caller is
    /// counted in `alone` and `drivers` on entry.
    private func drive(_ own: Run) {
        var partner: Run?
        var paired = 0, single = 0
        while true {
            if partner == nil {
                lock.lock()
                if !parked.isEmpty {
                    partner = parked.removeFirst()
                    alone -= 1
                } else if alone >= 2 && drivers > parkingThreshold && own.blocks >= Self.minimumBlocks {
                    // Another caller hashes alone too: this one parks the rest of its run with it.
                    alone -= 1
                    drivers -= 1
                    parked.append(own)
                    counts.paired += paired
                    counts.alone += single
                    (paired, single) = (0, 0)
                    lock.unlock()
                    own.wake.wait()
                    if own.blocks == 0 { return }
                    continue  // handed back, counted again
                }
                lock.unlock()
            }
            let n = min(Self.segmentBlocks, own.blocks, partner?.blocks ?? Int.max)
            if let other = partner {
                custody_sha256x2x2_blocks(own.whole, own.part, own.data, other.whole, other.part, other.data, n)
                other.advance(n)
                paired += 1
            } else {
                custody_sha256x2_blocks(own.whole, own.part, own.data, n)
                single += 1
            }
            own.advance(n)
            if let other = partner, other.blocks == 0 {
                partner = nil
                lock.withLock { alone += 1 }
                other.wake.signal()
            }
            guard own.blocks == 0 else { continue }
            lock.lock()
            counts.paired += paired
            counts.alone += single
            var wake: Run?
            if let other = partner {
                // Its caller finishes the rest alone.
                alone += 1
                wake = other
            } else {
                alone -= 1
                // A run parked on the strength of this caller: its own caller takes it back.
                if parked.count > alone {
                    wake = parked.removeLast()
                    alone += 1
                }
            }
            // This caller leaves; the one woken with an unfinished run drives next.
            drivers -= 1
            if let woken = wake, woken.blocks > 0 { drivers += 1 }
            lock.unlock()
            wake?.wake.signal()
            return
        }
    }
}
