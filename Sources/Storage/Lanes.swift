import Foundation

/// Work on `count` threads of its own at once, each told its lane: for blocking round trips (an object store's
/// requests), which `DispatchQueue.concurrentPerform` would run only as many at a time as there are cores.
public enum Lanes {
    /// Runs `body(lane)` for lanes 0..<count, each on a new thread, and returns when every one has.
    public static func run(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let finished = DispatchSemaphore(value: 0)
        for lane in 0..<count {
            Thread.detachNewThread {
                body(lane)
                finished.signal()
            }
        }
        for _ in 0..<count { finished.wait() }
    }
}
