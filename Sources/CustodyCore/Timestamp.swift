import Foundation

/// RFC 3339 timestamps in UTC with millisecond precision, the form every custody record uses.
public enum Timestamp {
    /// `2026-11-24T15:16:15.123Z` for the given instant (default: now).
    public static func rfc3339(_ date: Date = Date()) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        let millis = Int((date.timeIntervalSince1970 - Double(t)) * 1000)
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
            Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), min(millis, 999))
    }

    /// Parses an RFC 3339 date-time (`Z` or a numeric offset, optional fraction); nil when malformed.
    public static func parse(_ text: String) -> Date? {
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = withFraction.date(from: text) { return d }
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        return plain.date(from: text)
    }

    /// Normalises an RFC 3339 input to the canonical UTC millisecond form, or nil when malformed.
    public static func normalize(_ text: String) -> String? {
        parse(text).map { rfc3339($0) }
    }
}
