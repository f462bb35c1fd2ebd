import Foundation

/// RFC 3339 timestamps in UTC with millisecond precision, the form every custody record uses.
public enum Timestamp {
    /// `2026-11-24T15:16:15.123Z` for the given instant (default: now).
    public static func rfc3339(_ date: Date = Date()) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        let millis = Int((date.timeIntervalSince1970 - seconds) * 1000)
        return format(seconds: Int64(seconds), millis: min(millis, 999)) ?? "invalid date"
    }

    /// Parses an RFC 3339 date-time (`Z` or a numeric offset, optional fraction); nil when malformed.
    public static func parse(_ text: String) -> Date? {
        components(text).map { Date(timeIntervalSince1970: Double($0.seconds) + Double($0.millis) / 1000) }
    }

    /// Normalises an RFC 3339 input to the canonical UTC millisecond form, or nil when malformed.
    /// Normalising the result again gives it back unchanged.
    public static func normalize(_ text: String) -> String? {
        components(text).flatMap { format(seconds: $0.seconds, millis: $0.millis) }
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` for whole seconds since 1970 in proleptic Gregorian UTC (as
    /// `gmtime` counts); nil outside the years 0000-9999, which the form cannot write.
    static func format(seconds: Int64, millis: Int) -> String? {
        var t = time_t(seconds)
        var parts = tm()
        guard gmtime_r(&t, &parts) != nil, (0...9999).contains(Int(parts.tm_year) + 1900) else { return nil }
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
            Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), millis)
    }

    /// RFC 3339 section 5.6 `date-time`, read exactly: four-digit year, every field in range, `T`,
    /// optional fraction (kept to milliseconds, truncated), `Z` or `+hh:mm`/`-hh:mm`. Fuzzing found
    /// that Foundation's ISO 8601 parser took `2-11-25T09:30:00Z` and counted early years on the
    /// Julian calendar, so a normalised time did not read back as itself.
    static func components(_ text: String) -> (seconds: Int64, millis: Int)? {
        let b = Array(text.utf8)
        func number(_ at: Int, _ count: Int) -> Int? {
            guard at + count <= b.count else { return nil }
            var value = 0
            for byte in b[at..<at + count] {
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        func byte(_ at: Int, _ allowed: String) -> Bool { at < b.count && allowed.utf8.contains(b[at]) }
        guard let year = number(0, 4), byte(4, "-"), let month = number(5, 2), byte(7, "-"), let day = number(8, 2),
              byte(10, "Tt"), let hour = number(11, 2), byte(13, ":"), let minute = number(14, 2), byte(16, ":"),
              let second = number(17, 2) else { return nil }
        var at = 19, millis = 0
        if byte(at, ".") {
            at += 1
            let start = at
            while let digit = number(at, 1) {
                if at - start < 3 { millis = millis * 10 + digit }
                at += 1
            }
            guard at > start else { return nil }
            for _ in min(at - start, 3)..<3 { millis *= 10 }
        }
        var offset = 0
        if byte(at, "Zz") {
            at += 1
        } else if byte(at, "+-"), let h = number(at + 1, 2), byte(at + 3, ":"), let m = number(at + 4, 2),
                  h < 24, m < 60 {
            offset = (b[at] == UInt8(ascii: "-") ? -1 : 1) * (h * 3600 + m * 60)
            at += 6
        } else {
            return nil
        }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard at == b.count, (1...12).contains(month), (1...days[month - 1]).contains(day), hour < 24, minute < 60,
              second <= 60 else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = Int64(timegm(&parts)) - Int64(offset)
        // Only what the canonical form can write back (an offset can carry 0000-01-01 into year -1).
        guard format(seconds: seconds, millis: millis) != nil else { return nil }
        return (seconds, millis)
    }
}
