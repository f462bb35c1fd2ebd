import CustodyCore
import Foundation
import Ledger
import POSIX
import Report
import Vault
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

struct ReportCommand: Command {
    static let name = "report"
    static let summary = "Write the custody report of an exhibit or a case: one HTML file for a court, or JSON."
    static let usage = """
        report EXHIBIT|CASE (--html FILE | --json) [--as ID] [--data DIR]

        EXHIBIT is a catalog ID (EX-000001) or a unique SHA-256 prefix; CASE a case reference. The report
        holds the exhibit's details and hashes, its derived clips and their specs, every ledger event about
        them (a chart and a table), the court bundles that sent them and each download, and the signed
        checkpoint with every event's inclusion proof. --html writes one self-contained file (no script,
        nothing fetched, A4 in print) and never overwrites one; --json prints it with each proof.
        Making a report is a custody event (`view`, report: html|json), so an acting officer is needed.
        What that officer's role may not read is left out, and the report says so: an officer's report of
        their own recording shows no cases, court bundles, holds or retention, nor the events about them.
        With --server the server makes the report, as the officer your token names.
        """
    static let refusalAction: CustodyEvent.Action? = .view
    static let options: [OptionSpec] = [
        .option("html", "FILE", "write the report as one HTML file (a new file)"), .actor, .data, .json,
    ]

    let args: Arguments
    let reference: String
    let html: String?

    init(_ args: Arguments) throws {
        reference = try args.positionals(exactly: ["EXHIBIT|CASE"])[0]
        html = args.value("html")
        guard (html == nil) != !args.flag("json") else {
            throw CustodyError.invalidInput(field: "--html", html == nil ? "missing --html FILE or --json"
                                            : "give --html FILE or --json, not both")
        }
        if let html, FS.entryExists(html) {
            throw CustodyError.invalidInput(field: "--html", "\(html) exists: a report is written to a new file")
        }
        self.args = args
    }

    func run() throws -> Int32 {
        let vault = try Context.openVault(args)
        guard let html else {
            Output.json(ReportJSON.object(try vault.report(reference, by: Context.acting(args), format: .json)))
            return 0
        }
        let report = try vault.report(reference, by: Context.acting(args), format: .html)
        let bytes = Array(ReportHTML.render(report).utf8)
        try Self.writeNew(html, bytes)
        print("\(html.escapedForTerminal): custody report of \(report.title), \(report.timeline.count) events, "
              + "checkpoint of \(report.ledger.checkpoint.size) events (\(bytes.count) bytes)")
        return 0
    }

    /// Writes `bytes` to a file that must not exist yet, fsynced; a failure leaves no file.
    static func writeNew(_ path: String, _ bytes: [UInt8]) throws {
        let fd = try FS.open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        do {
            defer { close(fd) }
            try bytes.withUnsafeBytes { try FS.writeAll(fd, $0, path: path) }
            try FS.fsync(fd, path: path)
        } catch {
            unlink(path)
            throw error
        }
    }
}
