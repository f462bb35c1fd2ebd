import Foundation

/// Where custody reads the time for its decisions: upload expiry (and the Upload-Expires a dock is
/// told), the sweeper's, ingest retry backoff, refusal-budget windows. The service and the upload
/// store take one (the system's by default), so tests can move time on instead of waiting for it.
public struct CustodyClock: Sendable {
    /// The wall clock in whole Unix seconds: what expiries are stored and compared in.
    public let now: @Sendable () -> Int64
    /// Seconds on a clock that never jumps (system uptime): what intervals are measured on.
    public let uptime: @Sendable () -> Double

    public init(now: @escaping @Sendable () -> Int64, uptime: @escaping @Sendable () -> Double) {
        self.now = now
        self.uptime = uptime
    }

    /// The machine's clocks.
    public static let system = CustodyClock(now: { Int64(Date().timeIntervalSince1970) },
                                            uptime: { ProcessInfo.processInfo.systemUptime })
}
