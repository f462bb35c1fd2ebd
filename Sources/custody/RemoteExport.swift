import CustodyCore
import Foundation

/// `custody export --server`: the exhibit's bytes are downloaded (`GET /api/v1/exhibits/<id>/file`, the
/// server checking every chunk as it sends) into place as a local export writes them, checked against
/// the SHA-256 and size the server named (`FileReceiver`).
struct RemoteExport {
    let command: ExportCommand

    init(_ command: ExportCommand) { self.command = command }

    func run(_ client: APIClient, json: Bool) throws -> Int32 {
        let reference = command.reference
        let out = URL(fileURLWithPath: command.out).standardizedFileURL.path
        let (answer, file) = try RemoteDownload.fetch(client, "/api/v1/exhibits/\(APIClient.encode(reference))/file",
                                                      query: [("reason", command.reason), ("out", out)], to: out,
                                                      what: reference)
        guard answer.status == 200 else { return try Remote.printed(answer, json: json) }
        let id = answer.headers["custody-exhibit"] ?? reference
        let digest = try file.finish(sha256: answer.headers["custody-sha256"] ?? "",
                                     size: Int64(answer.headers["content-length"] ?? ""), what: "the download of \(id)")
        if json {
            Output.json(["id": id, "sha256": digest, "size": file.received, "out": file.out])
        } else {
            print("\(id)  \(digest)  \(file.out.escapedForTerminal)")
        }
        return 0
    }
}
