import CustodyCore
import Foundation
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// `custody ingest --server`: each file is uploaded (`POST /api/v1/exhibits`, streamed from the file)
/// and ingested there by the same `ingest` command line, naming the file as given here, so the output
/// and the catalogued file name are those of a local ingest. As locally, a bad file is skipped and the
/// rest ingested (exit 2); anything else (a refusal, a full disk) stops the run.
struct RemoteIngest {
    let command: IngestCommand

    init(_ command: IngestCommand) { self.command = command }

    func run(_ client: () throws -> APIClient, json: Bool) throws -> Int32 {
        var options = ["--device", command.device]
        if let at = command.args.value("captured-at") { options += ["--captured-at", at] }
        if let size = command.args.value("chunk-size") { options += ["--chunk-size", size] }
        if let officer = command.args.value("officer") { options += ["--officer", officer] }
        if json { options.append("--json") }
        var results = [Any]()
        var status: Int32 = 0
        for file in command.files {
            let argv = try JSONSerialization.data(withJSONObject: ["ingest"] + options + ["--", file])
            let bar = ProgressBar((file as NSString).lastPathComponent.escapedForTerminal)
            let answer: APIClient.Answer
            do {
                guard Self.isRegularFile(file) else {
                    throw CustodyError.invalidInput(field: "file", "\(file) is not a regular file that can be read")
                }
                answer = try client().upload("/api/v1/exhibits",
                                             query: [("file", file), ("argv", String(decoding: argv, as: UTF8.self))],
                                             file: file, progress: bar.update)
                bar.finish()
            } catch let e as CustodyError where e.isCallersFault {
                bar.finish()
                Output.error(e.shown)
                results.append(["file": file, "error": e.message])
                status = 2
                continue
            }
            let object = (try? JSONSerialization.jsonObject(with: answer.body)) as? [String: Any]
            guard answer.status == 200, let exit = object?["exit"] as? Int, let out = object?["stdout"] as? String
            else {
                if !results.isEmpty && json { Output.json(results) }
                return try Remote.printed(answer, json: json)
            }
            Output.writeErr(object?["stderr"] as? String ?? "")
            if json, let listed = (try? JSONSerialization.jsonObject(with: Data(out.utf8))) as? [Any] {
                results += listed
            } else {
                print(out, terminator: "")
            }
            if exit != 0 && exit != 2 {
                if json { Output.json(results) }
                return Int32(exit)
            }
            if exit == 2 { status = 2 }
        }
        if json { Output.json(results) }
        return status
    }

    /// A regular file (not a FIFO or device, which a local ingest refuses too).
    static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
    }
}
