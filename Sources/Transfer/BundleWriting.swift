import BagIt
import CourtBundle
import Crypto
import CustodyCore
import Foundation
import Ledger
import Vault
import Zip

/// One bundle being written: the bag's files in order into the ZIP.
struct BundleWriting {
    let request: BundleRequest
    let contents: BundleContents
    let vault: Vault
    let zip: ZipWriter
    let progress: ((Int64, Int64) -> Void)?
    let isCancelled: (() -> Bool)?

    /// Writes every file of the bag (not the ZIP's directory) and returns the payload files.
    mutating func run() throws -> [BuiltBundle.File] {
        let now = Date()
        let day = String(Timestamp.rfc3339(now).prefix(10))
        let bagInfo = contents.bagInfo(request, baggingDate: day).map { BagInfoField($0.label, $0.value) }
        // Refused now rather than after the clips: a value bag-info cannot hold (a line feed) is the caller's.
        do { try BagBuilder.check(bagInfo: bagInfo) } catch let e as BagError {
            throw CustodyError.invalidInput(field: "bundle", "bundle \(request.id) cannot be written: \(e)")
        }
        let bag = try BagBuilder(name: request.id, sink: ZipBagSink(writer: zip, modified: now))
        let readme = contents.readme(request)
        try bag.addPayload(path: BundleLayout.readme, bytes: readme)
        var files = [BuiltBundle.File(path: BundleLayout.readme, size: Int64(readme.count),
                                      sha256: SHA256.hash(readme))]
        let total = contents.payloadBytes
        var done: Int64 = 0
        for clip in contents.clips {
            if isCancelled?() == true { throw BundleWriter.Cancelled(bundle: request.id) }
            // The vault checks every chunk and the whole against the ledger's SHA-256 as it reads, and
            // throws (failing the bag) if they differ: the bag need not hash the bytes a second time.
            let size = UInt64(clip.anchored.size)
            try bag.addPayload(path: clip.path, size: size, sha256: clip.anchored.sha256) { write in
                try vault.readVerified(clip.anchored) { bytes in
                    if isCancelled?() == true { throw BundleWriter.Cancelled(bundle: request.id) }
                    try write(bytes)
                    done += Int64(bytes.count)
                    progress?(done, total)
                }
            }
            files.append(BuiltBundle.File(path: clip.path, size: clip.anchored.size, sha256: clip.anchored.sha256))
        }
        try addTags(to: bag)
        let tagManifest = try bag.finish(bagInfo: bagInfo)
        try bag.addSignature(path: BundleLayout.signature, bytes: contents.signingKey.sign(tagManifest))
        return files
    }

    private func addTags(to bag: BagBuilder) throws {
        try bag.addTag(path: BundleLayout.bundleInfo, bytes: contents.bundleJSON(request))
        for clip in contents.clips {
            try bag.addTag(path: BundleLayout.provenance(clip.exhibit.id), bytes: BundleContents.provenance(clip))
            if let spec = clip.spec { try bag.addTag(path: BundleLayout.spec(clip.exhibit.id), bytes: spec) }
        }
        try bag.addTag(path: BundleLayout.events, size: contents.eventLinesSize) { write in
            for event in contents.events {
                try (event.leafBytes + [0x0A]).withUnsafeBytes(write)
            }
        }
        for event in contents.events {
            let proof = try contents.proof(of: event, vault: vault)
            try bag.addTag(path: BundleLayout.proof(seq: event.seq), bytes: Array(proof.text.utf8))
        }
        try bag.addTag(path: BundleLayout.checkpoint, bytes: Array(contents.checkpoint.note.utf8))
        try bag.addTag(path: BundleLayout.publicKeyPEM, bytes: Array(contents.publicKeyPEM.utf8))
        try bag.addTag(path: BundleLayout.verifierKey, bytes: Array((contents.verifierKey + "\n").utf8))
    }
}
