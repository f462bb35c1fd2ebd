import Crypto
import CustodyCore
import Foundation
import Ledger

/// Checks a court bundle (README: *Checking a bundle*) in the order the format gives, stopping at the
/// first failure: the ZIP, the bag's manifests, the signature over the tag manifest, the checkpoint and
/// every event's inclusion proof, each clip's provenance, and optionally consistency with a kept
/// checkpoint or a ledger server. Nothing inside the bundle is trusted that can be checked; the key
/// is the one given, else the server's, else (said so in the report) the bundle's own.
///
/// `verify` returns a report (its `failure` set when a check fails) or throws a `CustodyError` when the
/// file is no ZIP or no bundle (`invalidInput`), or an option's input cannot be used.
public final class BundleVerifier {
    public struct Options {
        /// The ledger's public key (PEM), from the recipient (`--key`).
        public var keyPEM: String?
        /// A checkpoint note the recipient kept (`--checkpoint`).
        public var checkpoint: String?
        public var server: (any LedgerServer)?
        /// Bytes of entry data checked so far, of all.
        public var progress: ((UInt64, UInt64) -> Void)?
        public var limits = ZipReader.Limits()

        public init(keyPEM: String? = nil, checkpoint: String? = nil, server: (any LedgerServer)? = nil,
                    progress: ((UInt64, UInt64) -> Void)? = nil) {
            self.keyPEM = keyPEM
            self.checkpoint = checkpoint
            self.server = server
            self.progress = progress
        }
    }

    /// The largest tag file read whole (events.jsonl is the largest: ~400 bytes an event).
    static let maxTagBytes = 256 << 20
    static let maxSmallFileBytes = 1 << 20

    let options: Options
    var report = BundleReport()
    /// The bag's files by path inside the bag (the top folder stripped), and their SHA-256 once read.
    var files: [String: ZipEntry] = [:]
    var digests: [String: SHA256Digest] = [:]
    var zip: ZipReader!
    var checkpoint: Checkpoint!
    var verifier: NoteVerifier!
    /// The retired key that signed the bag, when a retired key did: it must have signed its checkpoint too.
    var retiredSigner: RetiredKey?
    var events: [Int64: EventLine] = [:]

    init(options: Options) { self.options = options }

    public static func verify(path: String, options: Options = Options()) throws -> BundleReport {
        let v = BundleVerifier(options: options)
        do {
            try v.run(path)
        } catch let failure as BundleFailure {
            v.report.failure = failure
        }
        return v.report
    }

    private func run(_ path: String) throws {
        zip = try ZipReader(path: path, limits: options.limits)
        try findBag()
        try checkCRCs()
        try checkBag()
        let key = try checkSignature()
        try checkEvents(key)
        try checkProvenance()
        try checkConsistency()
    }

    /// The bag's folder: the one top folder with `bagit.txt` and `custody/bundle.json` (else no bundle,
    /// exit 2); any entry outside it is a ZIP failure.
    private func findBag() throws {
        let tops = Set(zip.entries.map { String($0.name.prefix { $0 != "/" }) })
        let names = Set(zip.entries.map(\.name))
        guard let top = tops.first(where: { names.contains("\($0)/bagit.txt")
                                            && names.contains("\($0)/\(BundleLayout.bundleInfo)") }) else {
            throw CustodyError.invalidInput(field: "bundle", "\(zip.path) is a ZIP but no custody bundle: no top "
                                            + "folder holds bagit.txt and \(BundleLayout.bundleInfo)")
        }
        report.bundle = top
        for entry in zip.entries {
            guard entry.name.hasPrefix(top + "/") else {
                throw BundleFailure(.zip, "entry \(entry.name) lies outside the bundle's folder \(top)/",
                                    entry: entry.name)
            }
            if !entry.isFolder { files[String(entry.name.dropFirst(top.count + 1))] = entry }
        }
        report.checked["entries"] = zip.entries.count
    }

    /// Step 1's end: the CRC-32 of every entry, read once; the SHA-256 of each file is kept for step 2.
    private func checkCRCs() throws {
        let total = zip.entries.reduce(UInt64(0)) { $0 + $1.size }
        let buffers = ReadBuffers()
        var before: UInt64 = 0
        for entry in zip.entries where !entry.isFolder {
            let (crc, sha) = try zip.digests(entry, buffers: buffers) { options.progress?(before + $0, total) }
            before += entry.size
            guard crc == entry.crc else {
                throw BundleFailure(.zip, "the CRC-32 of entry \(entry.name) does not match its data",
                                    entry: entry.name)
            }
            digests[String(entry.name.dropFirst(report.bundle!.count + 1))] = sha
        }
        report.checked["bytes"] = Int(total)
    }

    /// A file of the bag by its path inside the bag, read whole.
    func contents(_ path: String, limit: Int = BundleVerifier.maxSmallFileBytes, step: BundleFailure.Step) throws
        -> [UInt8]
    {
        guard let entry = files[path] else { throw BundleFailure(step, "\(path) is missing", entry: path) }
        return try zip.contents(entry, limit: limit)
    }

    func text(_ path: String, limit: Int = BundleVerifier.maxSmallFileBytes, step: BundleFailure.Step) throws
        -> String
    {
        guard let text = String(validating: try contents(path, limit: limit, step: step), as: UTF8.self) else {
            throw BundleFailure(step, "\(path) is not UTF-8 text", entry: path)
        }
        return text
    }
}

/// What `BundleVerifier` found: counts of what it checked, where the key came from, the failure if any.
public struct BundleReport: Sendable {
    public enum KeySource: String, Sendable {
        /// `--key`: the recipient's own copy.
        case option = "key"
        /// The ledger server's `/ledger/key`.
        case server
        /// The bundle's own `custody/ledger-key.pem`: proves only that the bundle is intact as signed.
        case bundle
    }

    public var bundle: String?
    public var caseRef: String?
    public var checked: [String: Int] = [:]
    public var keySource: KeySource?
    /// SHA-256 (hex) of the key's DER SubjectPublicKeyInfo, as `openssl pkey -pubin -outform DER | sha256sum`.
    public var keyFingerprint: String?
    public var failure: BundleFailure?
    public var ok: Bool { failure == nil }
}
