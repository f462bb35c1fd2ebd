import CustodyCore
import Foundation
import Ledger
import Vault

struct BundleDownloadCommand: Command {
    static let name = "bundle download"
    static let summary = "Copy a built court bundle's ZIP to a file, checking its SHA-256 (not counted as the link's)."
    static let usage = """
        bundle download ID --out FILE [--as ID] [--data DIR] [--json]

        For officers who make bundles: recorded as a `download` by the officer, not counted against the
        link's --max-downloads. FILE must not exist yet; nothing is left there unless the copy has the
        SHA-256 recorded when the bundle was built. With --server, the ZIP is downloaded from the server.
        """
    static let refusalAction: CustodyEvent.Action? = .download
    static let options: [OptionSpec] = [.option("out", "FILE", "where to write the ZIP (must not exist)"),
                                        .actor, .data, .json]

    let args: Arguments
    let id: String
    let out: String

    init(_ args: Arguments) throws {
        id = try args.positionals(exactly: ["ID"])[0]
        guard let out = args.value("out"), !out.isEmpty else {
            throw CustodyError.invalidInput(field: "--out", "missing --out FILE")
        }
        self.args = args
        self.out = out
    }

    func run() throws -> Int32 {
        let vault = try Context.openVault(args)
        let file = try FileReceiver(out)
        let zip = try vault.bundleZip(id, by: Context.acting(args), details: ["destination": file.out])
        guard let handle = FileHandle(forReadingAtPath: zip.path) else {
            throw CustodyError.missing(.file, "the ZIP of \(zip.bundle.id) cannot be opened")
        }
        defer { try? handle.close() }
        while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty { try data.withUnsafeBytes(file.write) }
        let digest = try file.finish(sha256: zip.sha256, size: zip.size, what: "the ZIP of \(zip.bundle.id)")
        return Self.print(zip.bundle.id, digest, file, json: args.flag("json"))
    }

    static func print(_ id: String, _ digest: String, _ file: FileReceiver, json: Bool) -> Int32 {
        if json {
            Output.json(["id": id, "sha256": digest, "size": file.received, "out": file.out])
        } else {
            Swift.print("\(id)  \(digest)  \(file.out.escapedForTerminal)")
        }
        return 0
    }

    /// `--server`: the ZIP comes from `GET /api/v1/bundles/<ID>/zip`.
    func remote(_ client: APIClient, json: Bool) throws -> Int32 {
        let (answer, file) = try RemoteDownload.fetch(client, "/api/v1/bundles/\(APIClient.encode(id))/zip",
                                                      query: [], to: out, what: id)
        guard answer.status == 200 else { return try Remote.printed(answer, json: json) }
        let bundle = answer.headers["custody-bundle"] ?? id
        let digest = try file.finish(sha256: answer.headers["custody-sha256"] ?? "",
                                     size: Int64(answer.headers["content-length"] ?? ""), what: "the ZIP of \(bundle)")
        return Self.print(bundle, digest, file, json: json)
    }
}
