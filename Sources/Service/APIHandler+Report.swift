import CustodyCore
import Foundation
import HTTPServer
import Report
import Vault

extension APIHandler {
    /// `GET /api/v1/reports/<EXHIBIT|CASE>?format=html|json` (html by default; a case reference with
    /// its `/` percent-encoded): the custody report, as `custody report` makes it, for the token's
    /// officer (an auditor's usual way in). The use case authorizes and records it.
    func report(_ reference: String, query: String?, officer: String) throws -> HTTPResponse {
        let format: CustodyReport.Format
        switch query ?? "" {
        case "", "format=html": format = .html
        case "format=json": format = .json
        default: throw APIRefusal(.badRequest, "the query must be format=html or format=json")
        }
        let report = try pool.with { try $0.report(reference, by: .officer(officer), format: format) }
        if format == .html {
            return HTTPResponse(status: .ok, headers: ["Content-Type": "text/html; charset=utf-8",
                                                      "Cache-Control": "no-store"],
                                bytes: Array(ReportHTML.render(report).utf8))
        }
        let body = try JSONSerialization.data(withJSONObject: ReportJSON.object(report),
                                              options: [.prettyPrinted, .sortedKeys])
        return HTTPResponse(status: .ok, headers: ["Content-Type": "application/json", "Cache-Control": "no-store"],
                            bytes: Array(body) + [0x0a])
    }
}
