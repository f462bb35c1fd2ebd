import POSIX

extension Epoll {
    /// Waits until some registered socket is ready or `deadline` passes (nil: forever) and calls `body`
    /// with each ready token and its events.
    func wait(until deadline: Deadline?, _ body: (UInt64, Events) -> Void) {
        wait(timeout: deadline.map { Int32($0.remainingMilliseconds) } ?? -1, body)
    }
}
