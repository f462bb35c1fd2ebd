import CustodyCore
import Foundation

/// A clock that stands still until the test moves it on: both the wall clock and the uptime advance
/// together, by exactly what `advance` says.
public final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private let start: Int64
    private let startUptime: Double
    private var elapsed: Double = 0

    /// Starts at the real time (so timestamps recorded alongside read sensibly) and at an uptime of
    /// a machine that has run a while (a budget window restored as "ended" starts at 0).
    public init(now: Int64 = Int64(Date().timeIntervalSince1970), uptime: Double = 1_000_000) {
        start = now
        startUptime = uptime
    }

    public func advance(by seconds: Double) {
        lock.lock()
        defer { lock.unlock() }
        elapsed += seconds
    }

    public var now: Int64 {
        lock.lock()
        defer { lock.unlock() }
        return start + Int64(elapsed.rounded(.down))
    }

    public var uptime: Double {
        lock.lock()
        defer { lock.unlock() }
        return startUptime + elapsed
    }

    /// This clock, for a service configuration or an upload store.
    public var clock: CustodyClock { CustodyClock(now: { self.now }, uptime: { self.uptime }) }
}
