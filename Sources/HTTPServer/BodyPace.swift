/// The pace a request body must keep, so that a client trickling its body cannot hold a worker.
///
/// Only the time the server spends waiting for the client counts, in windows of `window` seconds: in
/// each, at least `bytesPerWindow` bytes must arrive (or the rest of the body: a body that ends needs no
/// more reads). The first window is the grace period. Time the handler spends between reads (hashing,
/// writing to disk) is not the client's, so a slow disk never makes a dock look slow. Times are whole
/// nanoseconds, so a read that waited exactly its allowance ends its window exactly.
struct BodyPace {
    let bytesPerWindow: Int64
    let window: UInt64
    /// Waiting time and bytes in the current window.
    private var waited: UInt64 = 0
    private var received: Int64 = 0

    /// A pace of `bytesPerSecond` on average over each `window` seconds; 0 bytes a second checks nothing.
    init(bytesPerSecond: Int, window seconds: Double) {
        window = UInt64(max(0, seconds) * 1e9)
        bytesPerWindow = Int64((Double(max(0, bytesPerSecond)) * Double(window) / 1e9).rounded(.up))
    }

    /// Nanoseconds the next read may wait before the pace is missed; nil when no pace is checked.
    var allowance: UInt64? {
        guard bytesPerWindow > 0 else { return nil }
        let left = window - min(waited, window)
        // A window already satisfied ends quietly; the next one must then be satisfied in full.
        return received < bytesPerWindow ? left : left + window
    }

    /// Counts a read that waited `nanoseconds` and delivered `count` bytes (0 for a read that timed out);
    /// throws 408 once a window ended with too few bytes.
    mutating func record(_ count: Int, waited nanoseconds: UInt64) throws {
        guard bytesPerWindow > 0 else { return }
        waited += nanoseconds
        received += Int64(count)
        while waited >= window {
            guard received >= bytesPerWindow else {
                throw HTTPRequestError(.requestTimeout, "request body slower than \(bytesPerWindow) bytes in "
                                       + "\(Double(window) / 1e9) s")
            }
            waited -= window
            received = 0
        }
    }
}
