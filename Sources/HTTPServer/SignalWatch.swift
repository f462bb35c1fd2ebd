import Dispatch
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Runs `action` on a queue of its own each time the process receives `signal`, until cancelled or
/// released. The signal's default action is turned off for good (it would end the process before the
/// handler ran).
public final class SignalWatch: @unchecked Sendable {
    private let source: DispatchSourceSignal

    public init(_ signal: Int32, _ action: @escaping @Sendable () -> Void) {
        Glibc.signal(signal, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: signal, queue: DispatchQueue(label: "signal-\(signal)"))
        source.setEventHandler(handler: action)
        source.resume()
    }

    public func cancel() { source.cancel() }

    deinit { source.cancel() }
}
