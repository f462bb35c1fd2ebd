import Foundation

/// Counters, gauges and latency histograms rendered in the Prometheus text format for `/metrics`.
public final class Metrics: @unchecked Sendable {
    private let lock = NSLock()
    private var counters: [String: Double] = [:]
    private var gauges: [String: Double] = [:]
    private var histograms: [String: Histogram] = [:]
    private var help: [String: (type: String, text: String)] = [:]

    /// Upper bounds (seconds) of the request latency buckets.
    public static let latencyBuckets: [Double] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30]

    struct Histogram {
        var buckets: [Int]
        var sum = 0.0
        var count = 0
    }

    public init() {}

    /// Declares a metric's type and help text (shown once per family).
    public func describe(_ family: String, type: String, _ text: String) {
        lock.lock(); defer { lock.unlock() }
        help[family] = (type, text)
    }

    /// Adds to a counter. `name` may carry labels: `requests_total{route="tus"}`.
    public func increment(_ name: String, by value: Double = 1) {
        lock.lock(); defer { lock.unlock() }
        counters[name, default: 0] += value
    }

    /// Moves a gauge up or down.
    public func add(_ name: String, _ delta: Double) {
        lock.lock(); defer { lock.unlock() }
        gauges[name, default: 0] += delta
    }

    public func set(_ name: String, _ value: Double) {
        lock.lock(); defer { lock.unlock() }
        gauges[name] = value
    }

    public func observe(_ family: String, seconds: Double) {
        lock.lock(); defer { lock.unlock() }
        var h = histograms[family] ?? Histogram(buckets: Array(repeating: 0, count: Self.latencyBuckets.count))
        for (i, bound) in Self.latencyBuckets.enumerated() where seconds <= bound { h.buckets[i] += 1 }
        h.sum += seconds
        h.count += 1
        histograms[family] = h
    }

    public func value(_ name: String) -> Double? {
        lock.lock(); defer { lock.unlock() }
        return counters[name] ?? gauges[name]
    }

    /// The Prometheus exposition text.
    public func render() -> String {
        lock.lock(); defer { lock.unlock() }
        var out = ""
        var described = Set<String>()
        func header(_ name: String) {
            let family = String(name.prefix { $0 != "{" })
            guard described.insert(family).inserted, let h = help[family] else { return }
            out += "# HELP \(family) \(h.text)\n# TYPE \(family) \(h.type)\n"
        }
        for (name, v) in counters.sorted(by: { $0.key < $1.key }) { header(name); out += "\(name) \(format(v))\n" }
        for (name, v) in gauges.sorted(by: { $0.key < $1.key }) { header(name); out += "\(name) \(format(v))\n" }
        for (family, h) in histograms.sorted(by: { $0.key < $1.key }) {
            header(family)
            for (i, bound) in Self.latencyBuckets.enumerated() {
                out += "\(family)_bucket{le=\"\(format(bound))\"} \(h.buckets[i])\n"
            }
            out += "\(family)_bucket{le=\"+Inf\"} \(h.count)\n\(family)_sum \(format(h.sum))\n\(family)_count \(h.count)\n"
        }
        return out
    }

    private func format(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }
}
