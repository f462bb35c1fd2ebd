// bundle-bench: writes one court bundle in-process for Scripts/bench (not part of the custody CLI).
//   bundle-bench DATA OUT.zip EXHIBIT... [--streamed] [--zip64]
// One bundle (BN-000001) of the exhibits given, from the vault at DATA, to OUT.zip, with
// `BundleWriter.write`: by default the ZIP's CRCs are written back into the local headers and the
// finished file is read again for its SHA-256; --streamed hashes it as written (data descriptors).
// Prints `sha256=<hex> size=<bytes>`.
import CustodyCore
import Foundation
import Transfer
import Vault

let args = Array(CommandLine.arguments.dropFirst())
let positionals = args.filter { !$0.hasPrefix("--") }
guard positionals.count >= 3 else {
    FileHandle.standardError.write(Data("usage: bundle-bench DATA OUT.zip EXHIBIT... [--streamed] [--zip64]\n".utf8))
    exit(2)
}
do {
    let vault = try Vault(directory: DataDirectory(root: positionals[0]))
    let now = Timestamp.rfc3339()
    let request = BundleRequest(id: "BN-000001", caseRef: "BENCH/1", caseTitle: nil, recipient: "clerk@court.example",
                                createdBy: "bench", createdAt: now, expiresAt: now, clips: Array(positionals[2...]))
    let options = BundleWriter.Options(hash: args.contains("--streamed") ? .streamed : .rereadFile,
                                       zip: .init(forceZip64: args.contains("--zip64")))
    let built = try BundleWriter.write(request, vault: vault, to: positionals[1], options: options, progress: nil,
                                       isCancelled: nil)
    print("sha256=\(built.sha256.hex) size=\(built.size)")
} catch {
    FileHandle.standardError.write(Data("bundle-bench: \(error)\n".utf8))
    exit(1)
}
