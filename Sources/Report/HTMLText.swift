import CustodyCore
import Foundation

/// Text for the report's HTML (and the landing page's): everything from the catalog and the ledger
/// (file names, reasons, officer IDs, details a dock or a recipient chose) goes through `escape`.
public enum HTMLText {
    /// HTML-escaped text: safe in element content and in quoted attributes, in HTML and in SVG.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            // Control characters (a NUL, a form feed) are not allowed in HTML text: shown as U+FFFD.
            case "\u{0}"..."\u{8}", "\u{B}", "\u{C}", "\u{E}"..."\u{1F}", "\u{7F}": out += "\u{FFFD}"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// `value` with each SHA-256 in it (64 hex digits) cut to its first 12 and `…`: the timeline table
    /// stays readable; the exhibits' own hashes are shown whole, and each event's leaf whole in its proof.
    static func abbreviatingHashes(_ value: String) -> String {
        value.replacingOccurrences(of: "([0-9a-f]{12})[0-9a-f]{52}", with: "$1…", options: .regularExpression)
    }

    /// `2026-12-07 15:20:01 UTC` of an RFC 3339 time, else the text.
    static func time(_ rfc3339: String) -> String {
        guard let date = Timestamp.parse(rfc3339) else { return rfc3339 }
        return format(date, "yyyy-MM-dd HH:mm:ss") + " UTC"
    }

    /// The day and, on a line of its own, the time to the millisecond (UTC), as HTML; else the text.
    static func dayAndTime(_ rfc3339: String) -> String {
        guard let date = Timestamp.parse(rfc3339) else { return escape(rfc3339) }
        return format(date, "yyyy-MM-dd") + "<br>" + format(date, "HH:mm:ss.SSS")
    }

    /// `date` in UTC by a `DateFormatter` pattern.
    static func format(_ date: Date, _ pattern: String) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = pattern
        return f.string(from: date)
    }

    /// `12 345 678 bytes (11.8 MiB)`.
    static func bytes(_ n: Int64) -> String {
        let units = ["KiB", "MiB", "GiB", "TiB"]
        var value = Double(n), unit = -1
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return "\(n) bytes" + (unit < 0 ? "" : String(format: " (%.1f %@)", value, units[unit]))
    }
}
