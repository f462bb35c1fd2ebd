import CustodyCore
import Foundation
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// An MS-DOS date and time as ZIP headers hold them: the UTC calendar fields of a moment (no time
/// zone is stored; UTC keeps an archive the same wherever it is made), to 2 seconds, 1980 to 2107.
struct DOSTime: Equatable {
    /// Bits 15-11 hour, 10-5 minute, 4-0 seconds / 2.
    let time: UInt16
    /// Bits 15-9 years since 1980, 8-5 month, 4-0 day.
    let date: UInt16

    init(_ moment: Date) throws {
        // 1980-01-01 to 2108-01-01 UTC, checked before the conversion (which traps out of range).
        let since1970 = moment.timeIntervalSince1970
        var seconds = time_t(since1970 >= 315_532_800 && since1970 < 4_354_819_200 ? since1970.rounded(.down) : 0)
        var c = tm()
        guard seconds != 0, gmtime_r(&seconds, &c) != nil else {
            // Date's description traps on a moment too far out (or none): such a one is told in seconds.
            let told = abs(since1970) < 1e11 ? "\(moment)" : "\(since1970) s from 1970"
            throw CustodyError.invalidInput(
                field: "modified", "a ZIP timestamp must fall in 1980-2107 (UTC); \(told) does not")
        }
        time = UInt16(c.tm_hour << 11 | c.tm_min << 5 | c.tm_sec / 2)
        date = UInt16((Int(c.tm_year) - 80) << 9 | Int(c.tm_mon + 1) << 5 | Int(c.tm_mday))
    }
}
