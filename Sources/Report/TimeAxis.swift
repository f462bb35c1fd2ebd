import Foundation

/// The time axis of the timeline chart: the span shown (the events' own, widened to at least 10 s and
/// padded a little each side) and round ticks within it, labelled in UTC.
struct TimeAxis {
    struct Tick {
        let time: Double
        let label: String
    }

    let start: Double
    let end: Double
    let ticks: [Tick]
    /// The day (or days) the axis covers, for under it.
    let caption: String

    /// Tick steps in seconds, the smallest giving at most `maxTicks` ticks is used.
    static let steps: [Double] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600,
                                  43200, 86400, 172_800, 604_800, 1_209_600, 2_592_000, 7_776_000, 31_536_000]
    static let maxTicks = 7.0

    init(from first: Double, to last: Double) {
        let span = max(last - first, 10)
        let middle = (first + last) / 2
        let (start, end) = (middle - span * 0.54, middle + span * 0.54)
        (self.start, self.end) = (start, end)
        let step = Self.steps.first { (end - start) / $0 <= Self.maxTicks } ?? Self.steps.last!
        let pattern = step < 60 ? "HH:mm:ss" : step < 86400 ? "HH:mm" : step < 2_592_000 ? "d MMM" : "MMM yyyy"
        var ticks = [Tick]()
        var t = (start / step).rounded(.up) * step
        while t <= end {
            ticks.append(Tick(time: t, label: HTMLText.format(Date(timeIntervalSince1970: t), pattern)))
            t += step
        }
        self.ticks = ticks
        let day = { HTMLText.format(Date(timeIntervalSince1970: $0), "d MMMM yyyy") }
        caption = "UTC, " + (day(first) == day(last) ? day(first) : "\(day(first)) to \(day(last))")
    }

    /// Where `time` is along the axis, 0 (start) to 1 (end).
    func position(_ time: Double) -> Double { (time - start) / (end - start) }
}
