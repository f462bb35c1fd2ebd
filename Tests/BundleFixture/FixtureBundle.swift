import BagIt
import CourtBundle
import Crypto
import CustodyCore
import Foundation
import Ledger
import SQLite
import Zip

/// Writes a court bundle exactly as TRANSFER.md lays it out, from a real ledger (an EventLog in a
/// temporary SQLite file, real events, a checkpoint signed with a real Ed25519 key, real proofs),
/// BagIt's `BagBuilder` and Zip's `ZipWriter`: for the verifier's tests before and beside the real
/// writer. One original clip, and optionally a redacted clip derived from it.
public struct FixtureBundle {
    public struct Options {
        public var id = "BN-000001"
        public var caseRef = "CPS/2026/1187"
        /// Make EX-000002, redacted from EX-000001, and send it (with the original).
        public var derived = true
        public var forceZip64 = false
        /// Entries written as streamed (sizes unknown up front: data descriptors after the data).
        public var streamed = false
        /// Changes a file's bytes before it goes into the bag (so the manifests agree with the change).
        public var alter: [String: ([UInt8]) -> [UInt8]] = [:]
        /// Signs the tag manifest with this key instead of the ledger's.
        public var signatureKey: Ed25519Key?
        public init() {}
    }

    public let ledgerKey: Ed25519Key
    public let log: EventLog
    public let signer: NoteSigner
    public let options: Options
    let work: String

    /// A ledger in `work` (a folder) with its own key, or `ledger`: a vault's database, its signing key
    /// and origin (so that `custody serve` on that vault answers for the bundle).
    public init(work: String, options: Options = Options(),
                ledger: (database: String, key: Ed25519Key, origin: String)? = nil) throws {
        self.work = work
        self.options = options
        ledgerKey = try ledger?.key ?? Ed25519Key.generate()
        signer = try NoteSigner(name: ledger?.origin ?? "testforce.example/custody", key: ledgerKey)
        log = try EventLog(db: try Database(path: ledger?.database ?? work + "/ledger.sqlite"))
    }

    /// Writes the bundle with the clip at `clipFile` (streamed, any size) to `path`.
    @discardableResult
    public func write(clipFile: String, to path: String) throws -> Checkpoint {
        let officer = Actor.officer("pc.smith")
        let original = try Self.sha256(file: clipFile)
        _ = try log.append(CustodyEvent(actor: .system, action: .initialize))
        let ingest = try log.append(CustodyEvent(actor: officer, action: .ingest, exhibit: "EX-000001",
                                                 objectSHA256: original.hex, details: ["filename": "cam 1.mp4"]))
        _ = try log.append(CustodyEvent(actor: officer, action: .view, exhibit: "EX-000099",
                                        objectSHA256: original.hex))
        var clips: [(id: String, file: String, sha: SHA256Digest, creation: CustodyEvent, spec: [UInt8]?)] = [
            ("EX-000001", clipFile, original, ingest, nil)]
        if options.derived {
            let spec = Array(#"{"blur":[{"x":0,"y":0,"w":16,"h":16}],"mute":true}"#.utf8)
            let derivedFile = work + "/derived.bin"
            let head = try FileHandle(forReadingFrom: URL(fileURLWithPath: clipFile))
            try Data((try head.read(upToCount: 4096) ?? Data()).reversed()).write(to: URL(fileURLWithPath: derivedFile))
            try head.close()
            let derived = try Self.sha256(file: derivedFile)
            let specSHA = SHA256.hash(spec).hex
            _ = try log.append(CustodyEvent(actor: officer, action: .redact, exhibit: "EX-000001",
                                            objectSHA256: original.hex, details: ["role": "source",
                                                                                  "spec_sha256": specSHA]))
            let redact = try log.append(CustodyEvent(
                actor: officer, action: .redact, exhibit: "EX-000002", objectSHA256: derived.hex,
                details: ["parent_sha256": original.hex, "spec_sha256": specSHA]))
            clips.append(("EX-000002", derivedFile, derived, redact, spec))
        }
        _ = try log.append(CustodyEvent(actor: officer, action: .share, caseID: options.caseRef,
                                        details: ["bundle": options.id, "change": "queued"]))
        let checkpoint = try Checkpoint.open(try XCTUnwrapped(log.checkpoint(signer: signer)).note,
                                             verifier: try signer.verifier)
        try writeZip(path: path, clips: clips, checkpoint: checkpoint)
        return checkpoint
    }

    private func writeZip(path: String, clips: [(id: String, file: String, sha: SHA256Digest,
                                                 creation: CustodyEvent, spec: [UInt8]?)],
                          checkpoint: Checkpoint) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { close(fd) }
        let zip = ZipWriter(fd: fd, path: path, options: .init(forceZip64: options.forceZip64))
        let bag = try BagBuilder(name: options.id, sink: ZipBagSink(zip, streamed: options.streamed))
        func tag(_ p: String, _ bytes: [UInt8]) throws {
            try bag.addTag(path: p, bytes: options.alter[p]?(bytes) ?? bytes)
        }
        try bag.addPayload(path: BundleLayout.readme, bytes: Array("Court bundle \(options.id)\n".utf8))
        var events: [CustodyEvent] = []
        for clip in clips {
            let name = BundleLayout.clip(exhibit: clip.id, filename: "cam 1.mp4")
            if let alter = options.alter[name] {
                let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: clip.file)))
                try bag.addPayload(path: name, bytes: alter(bytes))
            } else {
                try bag.addPayload(path: name, fromFile: clip.file)
            }
            events += try log.events(exhibit: clip.id)
        }
        let sorted = Dictionary(events.map { ($0.seq, $0) }, uniquingKeysWith: { a, _ in a }).values
            .sorted { $0.seq < $1.seq }
        let info: [String: Any] = [
            "bundle": options.id, "case": options.caseRef, "case_title": "R v Doe",
            "recipient": "j.clerk@court.example",
            "created_by": "pc.smith", "created_at": "2026-12-07T10:00:00Z", "expires_at": "2026-12-21T10:00:00Z",
            "organization": "testforce", "origin": signer.name, "checkpoint_size": checkpoint.size,
            "exhibits": clips.map(\.id)]
        try tag(BundleLayout.bundleInfo, Self.json(info))
        for clip in clips {
            let parent: Any = clip.spec == nil ? NSNull() : ["exhibit": "EX-000001", "sha256": clips[0].sha.hex,
                                                            "creation_event": clips[0].creation.seq] as [String: Any]
            try tag(BundleLayout.provenance(clip.id), Self.json([
                "exhibit": clip.id, "file": BundleLayout.clip(exhibit: clip.id, filename: "cam 1.mp4"),
                "sha256": clip.sha.hex,
                "size": try FileManager.default.attributesOfItem(atPath: clip.file)[.size] as! Int,
                "filename": "cam 1.mp4", "device": "BWC-0001", "officer": "pc.smith",
                "captured_at": "2026-12-07T09:00:00Z", "creation_event": clip.creation.seq, "parent": parent,
                "spec_sha256": clip.spec.map { SHA256.hash($0).hex } ?? NSNull()]))
            if let spec = clip.spec { try tag(BundleLayout.spec(clip.id), spec) }
        }
        try tag(BundleLayout.events, sorted.flatMap { $0.leafBytes + [0x0A] })
        for event in sorted {
            let hashes = try log.inclusionProof(index: UInt64(event.seq), size: checkpoint.size).map(\.bytes)
            let proof = InclusionProof(leaf: event.leafBytes, index: UInt64(event.seq), hashes: hashes,
                                       checkpoint: checkpoint.note)
            try tag(BundleLayout.proof(seq: event.seq), Array(proof.text.utf8))
        }
        try tag(BundleLayout.checkpoint, Array(checkpoint.note.utf8))
        try tag(BundleLayout.publicKeyPEM, Array(try ledgerKey.publicKeyPEM().utf8))
        try tag(BundleLayout.verifierKey, Array((try signer.verifier.vkey + "\n").utf8))
        let manifest = try bag.finish(bagInfo: [
            BagInfoField("Source-Organization", "testforce"), BagInfoField("External-Identifier", options.caseRef),
            BagInfoField("Bagging-Date", "2026-12-07"), BagInfoField("Bag-Group-Identifier", options.caseRef),
            BagInfoField("Internal-Sender-Identifier", options.id), BagInfoField("Contact-Name", "pc.smith"),
            BagInfoField("Recipient", "j.clerk@court.example"), BagInfoField("Expires", "2026-12-21T10:00:00Z"),
            BagInfoField("Bundle-Signature", "custody/signature (Ed25519, ledger key)")])
        let signature = try (options.signatureKey ?? ledgerKey).sign(manifest)
        try bag.addSignature(path: BundleLayout.signature, bytes: signature)
        try zip.finish()
    }

    static func json(_ object: [String: Any]) throws -> [UInt8] {
        Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
    }

    static func sha256(file: String) throws -> SHA256Digest {
        let hasher = SHA256()
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: file))
        defer { try? handle.close() }
        while let data = try handle.read(upToCount: 1 << 22), !data.isEmpty { hasher.update(data) }
        return hasher.finalize()
    }
}

private func XCTUnwrapped<T>(_ value: T?) throws -> T {
    guard let value else { throw CustodyError.failure("expected a value") }
    return value
}

/// Bag files as stored ZIP entries, sizes known up front or streamed.
final class ZipBagSink: BagSink {
    let zip: ZipWriter
    let streamed: Bool
    init(_ zip: ZipWriter, streamed: Bool) {
        self.zip = zip
        self.streamed = streamed
    }

    func addFile(path: String, size: UInt64,
                 contents: (_ write: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        try zip.add(name: path, size: streamed ? nil : size, modified: Date(timeIntervalSince1970: 1.8e9)) { entry in
            try contents { try entry.write($0) }
        }
    }
}
