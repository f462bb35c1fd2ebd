import CustodyCore
import Dispatch

/// Runs two pieces of work at once on the two cores and returns when both are done.
public enum Parallel {
    /// The caller guarantees that `a` and `b` touch disjoint state (e.g. two hashers over one
    /// read-only buffer), which is why the closures need not be Sendable.
    public static func both(_ a: () -> Void, _ b: () -> Void) {
        withoutActuallyEscaping(a) { a in
            withoutActuallyEscaping(b) { b in
                let work = Unchecked(value: (a, b))
                DispatchQueue.concurrentPerform(iterations: 2) { lane in
                    if lane == 0 { work.value.0() } else { work.value.1() }
                }
            }
        }
    }
}
