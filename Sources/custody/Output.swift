import CustodyCore
import Foundation
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Printing for the CLI: results on stdout, errors and progress on stderr.
enum Output {
    /// Messages quote names and values from outside (file names, options): escaped, so none can
    /// forge a line of its own or reorder what the terminal shows.
    static func error(_ message: String) { writeErr("custody: error: \(message.escapedForTerminal)\n") }
    static func note(_ message: String) { writeErr("custody: \(message.escapedForTerminal)\n") }

    static func writeErr(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Pretty JSON with sorted keys, for `--json`.
    static func json(_ value: Any) {
        let data = try! JSONSerialization.data(withJSONObject: value,
                                               options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: data, as: UTF8.self))
    }

    /// Rows of already printable cells as lines of text, each column but the last padded to its widest
    /// cell, two spaces apart; trailing blanks dropped.
    static func table(_ rows: [[String]]) -> String {
        var widths = [Int]()
        for row in rows {
            for (i, cell) in row.enumerated().dropLast() {
                if i == widths.count { widths.append(0) }
                widths[i] = max(widths[i], cell.count)
            }
        }
        return rows.map { row in
            row.enumerated().map { i, cell in
                i < row.count - 1 ? cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) : cell
            }.joined(separator: "  ").replacingOccurrences(of: " +$", with: "", options: .regularExpression) + "\n"
        }.joined()
    }

    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }
}

/// A one-line progress bar on stderr, drawn only when stderr is a terminal, at most 10 times a second.
final class ProgressBar {
    private let label: String
    /// nil for bytes; otherwise what is counted ("events").
    private let unit: String?
    private let enabled: Bool
    private var lastDraw = 0.0
    private let started = Date()

    init(_ label: String, unit: String? = nil) {
        self.label = label
        self.unit = unit
        self.enabled = Output.stderrIsTerminal
    }

    func update(_ done: Int64, _ total: Int64) {
        guard enabled else { return }
        let now = Date().timeIntervalSince1970
        guard now - lastDraw >= 0.1 || done == total else { return }
        lastDraw = now
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
        let width = 30
        let filled = Int(fraction * Double(width))
        let elapsed = Date().timeIntervalSince(started)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let amount = unit.map { "\(done) \($0), \(Int(rate))/s" }
            ?? "\(Format.bytes(done)) \(Int(rate / 1_048_576)) MiB/s"
        Output.writeErr(String(format: "\r%@ [%@] %3.0f%% %@", label, bar, fraction * 100, amount))
    }

    /// Draws a fraction of work done (0...1) as a percentage, for work not counted in bytes.
    func update(fraction: Double) {
        guard enabled else { return }
        let now = Date().timeIntervalSince1970
        guard now - lastDraw >= 0.1 || fraction >= 1 else { return }
        lastDraw = now
        let f = min(1, max(0, fraction))
        let width = 30
        let filled = Int(f * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let elapsed = Date().timeIntervalSince(started)
        Output.writeErr(String(format: "\r%@ [%@] %3.0f%% %.0f s", label, bar, f * 100, elapsed))
    }

    func finish() {
        guard enabled else { return }
        Output.writeErr("\r\u{1B}[K")
    }
}

enum Format {
    static func bytes(_ n: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(n)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(n) B" : String(format: "%.1f %@", value, units[unit])
    }

    static func duration(_ seconds: Double?) -> String {
        guard let seconds else { return "-" }
        let s = Int(seconds.rounded())
        return String(format: "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60)
    }
}
