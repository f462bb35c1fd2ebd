import CourtBundle
import CustodyCore
import Foundation

struct BundleVerifyCommand: Command {
    static let name = "bundle verify"
    static let summary = "Check a court bundle ZIP: structure, bag, signature, every proof; exit 1 naming a failure."
    static let usage = """
        bundle verify FILE.zip [--key PEM] [--checkpoint FILE] [--server URL] [--json]

        Needs no data directory: anyone given a bundle can run it. Checks, stopping at the first failure:
        the ZIP (entries stored, local headers and central directory agree, safe unique names, CRC-32),
        the bag (both SHA-256 manifests, Payload-Oxum), the Ed25519 signature over tagmanifest-sha256.txt,
        the signed checkpoint and each event's inclusion proof, each clip's provenance, and with
        --checkpoint or --server that the bundle's checkpoint is consistent with the other one.
        The key: --key, else the server's /ledger/key, else the bundle's own (said so, with its
        fingerprint to compare). Exit 0 verified, 1 a check failed (named), 2 not a ZIP or not a
        bundle, 3 the server could not be asked.
        """
    static let options: [OptionSpec] = [
        .option("key", "PEM", "the ledger's public key (custody ledger key / GET /ledger/key), not the bundle's"),
        .option("checkpoint", "FILE", "a checkpoint you kept: the bundle's must be consistent with it"),
        .option("server", "URL", "a custody server (http[s]://host:port): its key, newest checkpoint, proofs"),
        .json,
    ]

    let file: String
    let args: Arguments

    init(_ args: Arguments) throws {
        file = try args.positionals(exactly: ["FILE.zip"])[0]
        self.args = args
    }

    func run() throws -> Int32 {
        var options = BundleVerifier.Options()
        options.keyPEM = try args.value("key").map { try LedgerJSON.readFile($0, what: "key") }
        options.checkpoint = try args.value("checkpoint").map { try LedgerJSON.readFile($0, what: "checkpoint") }
        options.server = try args.value("server").map { try HTTPLedgerServer($0) }
        let bar = ProgressBar("bundle verify")
        options.progress = { bar.update(Int64($0), Int64($1)) }
        let report = try BundleVerifier.verify(path: file, options: options)
        bar.finish()
        if args.flag("json") { Output.json(Self.json(report)) } else { print(Self.text(report), terminator: "") }
        return report.ok ? 0 : 1
    }

    static func json(_ r: BundleReport) -> [String: Any] {
        var o: [String: Any] = ["ok": r.ok, "bundle": r.bundle ?? NSNull(), "case": r.caseRef ?? NSNull(),
                                "checked": r.checked, "key_source": r.keySource?.rawValue ?? NSNull(),
                                "key_fingerprint": r.keyFingerprint ?? NSNull()]
        if let f = r.failure {
            o["failure"] = ["step": f.step.rawValue, "message": f.message, "entry": f.entry ?? NSNull(),
                            "exhibit": f.exhibit ?? NSNull(), "seq": f.seq.map { $0 as Any } ?? NSNull()]
        }
        return o
    }

    static func text(_ r: BundleReport) -> String {
        var out = ""
        if let f = r.failure {
            out += "FAILED (\(f.step.rawValue)): \(f.message)".escapedForTerminal + "\n"
            for (label, value) in [("entry", f.entry), ("exhibit", f.exhibit), ("event seq", f.seq.map(String.init))] {
                if let value { out += "  \(label): \(value)".escapedForTerminal + "\n" }
            }
        } else {
            let c = r.checked
            out += "OK: bundle \(r.bundle ?? "") (case \(r.caseRef ?? "-")): \(c["entries"] ?? 0) ZIP entries, "
                + "\(c["payload_files"] ?? 0) payload and \(c["tag_files"] ?? 0) tag files (\(c["bytes"] ?? 0) bytes), "
                + "the signature, \(c["events"] ?? 0) event(s) and their proofs against the checkpoint of size "
                + "\(c["checkpoint_size"] ?? 0), \(c["exhibits"] ?? 0) exhibit(s)' provenance"
                + (c["consistency"] != nil ? ", consistency with the later checkpoint" : "")
            out = out.escapedForTerminal + "\n"
        }
        if let source = r.keySource, let fingerprint = r.keyFingerprint {
            switch source {
            case .option: out += "Key: from --key, SHA-256 fingerprint \(fingerprint)\n"
            case .server: out += "Key: from the server's /ledger/key, SHA-256 fingerprint \(fingerprint)\n"
            case .bundle:
                out += "NOTE: the key was taken from the bundle itself (custody/ledger-key.pem). That shows the bundle "
                    + "is intact as signed, not who signed it: compare the key's SHA-256 fingerprint\n"
                    + "  \(fingerprint)\n"
                    + "with the one the sender publishes, or run again with --key or --server.\n"
            }
        }
        return out
    }
}
