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
        var seconds = time_t(moment.timeIntervalSince1970.rounded(.down))
        var c = tm()
        guard moment.timeIntervalSince1970.isFinite, gmtime_r(&seconds, &c) != nil,
              (1980...2107).contains(Int(c.tm_year) + 1900) else {
            throw CustodyError.invalidInput(
                field: "modified", "a ZIP timestamp must fall in 1980-2107 (UTC); \(moment) does not")
        }
        time = UInt16(c.tm_hour << 11 | c.tm_min << 5 | c.tm_sec / 2)
        date = UInt16((Int(c.tm_year) - 80) << 9 | Int(c.tm_mon + 1) << 5 | Int(c.tm_mday))
    }
}
