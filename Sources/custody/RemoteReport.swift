import CustodyCore
import Foundation

/// `custody report --server`: the server makes the report (and records it) as the token's officer,
/// `GET /api/v1/reports/<EXHIBIT|CASE>?format=json|html`. `--json` prints it as the local command does;
/// `--html FILE` writes it to a new file as an export is written (`FileReceiver`: never over a file,
/// checked against the SHA-256 the server names) and prints the local command's line.
struct RemoteReport {
    let command: ReportCommand

    init(_ command: ReportCommand) { self.command = command }

    func run(_ client: APIClient, json: Bool) throws -> Int32 {
        let path = "/api/v1/reports/\(APIClient.encode(command.reference))"
        guard let html = command.html else {
            let answer = try client.get(path, query: [("format", "json")])
            guard answer.status == 200 else { return try Remote.printed(answer, json: json) }
            guard (try? JSONSerialization.jsonObject(with: answer.body)) is [String: Any] else {
                throw CustodyError.failure("the server answered a report that is not JSON: is --server a custody "
                                           + "server?")
            }
            print(String(decoding: answer.body, as: UTF8.self), terminator: "")  // ReportJSON.text: as local
            return 0
        }
        let (answer, file) = try RemoteDownload.fetch(client, path, query: [("format", "html")], to: html,
                                                      what: "the report of \(command.reference)")
        guard answer.status == 200 else { return try Remote.printed(answer, json: json) }
        let header = { (name: String) in answer.headers[name] ?? "?" }
        _ = try file.finish(sha256: header("custody-sha256"), size: Int64(header("content-length")),
                            what: "the report of \(command.reference)")
        print("\(html.escapedForTerminal): custody report of \(header("custody-report-title").escapedForTerminal), "
              + "\(header("custody-report-events")) events, checkpoint of \(header("custody-checkpoint-size")) events "
              + "(\(file.received) bytes)")
        return 0
    }
}
