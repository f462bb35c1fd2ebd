import Crypto
import CustodyCore
import Foundation
import HTTPServer
import Report
import Vault

extension APIHandler {
    /// `GET /api/v1/reports/<EXHIBIT|CASE>?format=html|json` (html by default; a case reference with
    /// its `/` percent-encoded): the custody report, as `custody report` makes it, for the token's
    /// officer (an auditor's usual way in; `custody report --server` too). The use case authorizes and
    /// records it. `Custody-SHA256` is the body's SHA-256; `Custody-Report-Title`, `Custody-Report-Events`
    /// and `Custody-Checkpoint-Size` say what the local command prints of it.
    func report(_ reference: String, query: String?, officer: String) throws -> HTTPResponse {
        let format: CustodyReport.Format
        switch query ?? "" {
        case "", "format=html": format = .html
        case "format=json": format = .json
        default: throw APIRefusal(.badRequest, "the query must be format=html or format=json")
        }
        let report = try pool.with { try $0.report(reference, by: .officer(officer), format: format) }
        let bytes = Array((format == .html ? ReportHTML.render(report) : ReportJSON.text(report)).utf8)
        return HTTPResponse(status: .ok, headers: [
            "Content-Type": format == .html ? "text/html; charset=utf-8" : "application/json",
            "Cache-Control": "no-store", "Custody-SHA256": SHA256.hash(bytes).hex,
            "Custody-Report-Title": report.title, "Custody-Report-Events": String(report.timeline.count),
            "Custody-Checkpoint-Size": String(report.ledger.checkpoint.size),
        ], bytes: bytes)
    }
}
