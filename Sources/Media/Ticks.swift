/// Spec seconds to integer timestamps (stream ticks, samples, `AV_TIME_BASE` units) without trapping:
/// a spec's times are checked against the source's duration, but a source may not know its duration
/// (an MKV written to a pipe), so any finite or infinite Double must convert.
enum Ticks {
    /// `x` truncated to an Int64, saturating at the ends of the range; NaN is 0.
    static func clamped(_ x: Double) -> Int64 {
        if x.isNaN { return 0 }
        if x >= 0x1p63 { return .max }
        if x < -0x1p63 { return .min }
        return Int64(x)
    }

    /// `seconds` in ticks of `1/perSecond`, rounded to the nearest tick and clamped.
    static func nearest(_ seconds: Double, perSecond: Double) -> Int64 {
        clamped((seconds * perSecond).rounded())
    }

    /// The first tick at or after `seconds`, clamped: a frame at tick n (time n/perSecond) is at or after
    /// `seconds` exactly when n >= this, so `start <= t < end` holds for ticks in [atOrAfter(start),
    /// atOrAfter(end)). A decimal time within a millionth of a millionth (relative) of a tick, i.e. one
    /// that only misses it by floating-point error (8.3 s at 1/30 s), counts as that tick.
    static func atOrAfter(_ seconds: Double, perSecond: Double) -> Int64 {
        let x = seconds * perSecond, nearest = x.rounded()
        return clamped(abs(x - nearest) <= abs(x) * 1e-12 ? nearest : x.rounded(.up))
    }

    /// `a + b`, saturating instead of overflowing.
    static func add(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? .max : .min) : sum
    }

    /// `a - b`, saturating instead of overflowing: timestamps come from the file, damaged ones included.
    static func subtract(_ a: Int64, _ b: Int64) -> Int64 {
        let (difference, overflow) = a.subtractingReportingOverflow(b)
        return overflow ? (b < 0 ? .max : .min) : difference
    }
}
