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

    /// `a + b`, saturating instead of overflowing.
    static func add(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? .max : .min) : sum
    }
}
