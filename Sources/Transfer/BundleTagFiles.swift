import CourtBundle
import CustodyCore
import Ledger

/// The bytes of the bundle's small files: `custody/bundle.json`, each clip's provenance, the events'
/// lines and the bag-info fields. The format is the README's *Court bundle format*.
extension BundleContents {
    func bundleJSON(_ request: BundleRequest) -> [UInt8] {
        BundleJSON.file([
            "bundle": .string(request.id), "case": .string(request.caseRef),
            "case_title": BundleJSON.optional(request.caseTitle), "recipient": .string(request.recipient),
            "created_by": .string(request.createdBy), "created_at": .string(request.createdAt),
            "expires_at": .string(request.expiresAt), "organization": .string(organization),
            "origin": .string(origin), "checkpoint_size": .integer(Int64(checkpoint.size)),
            "exhibits": .array(clips.map { .string($0.exhibit.id) }),
        ])
    }

    static func provenance(_ clip: Clip) -> [UInt8] {
        let e = clip.exhibit
        let parent: BundleJSON.Value = clip.parent.map {
            .object(["exhibit": .string($0.exhibit), "sha256": .string($0.sha256),
                     "creation_event": .integer($0.creationEvent)])
        } ?? .null
        return BundleJSON.file([
            "exhibit": .string(e.id), "file": .string(clip.path), "sha256": .string(clip.anchored.sha256.hex),
            "size": .integer(clip.anchored.size), "filename": BundleJSON.optional(e.filename),
            "device": .string(e.device), "officer": .string(e.officer),
            "captured_at": BundleJSON.optional(e.capturedAt), "creation_event": .integer(clip.anchored.creation.seq),
            "parent": parent, "spec_sha256": BundleJSON.optional(clip.parent == nil ? nil : e.specSHA256?.hex),
        ])
    }

    /// `custody/events.jsonl`'s size: each leaf and its line feed.
    var eventLinesSize: UInt64 { events.reduce(0) { $0 + UInt64($1.leafBytes.count + 1) } }

    /// bag-info.txt's fields before the builder's Payload-Oxum and Bag-Size, in the contract's order.
    func bagInfo(_ request: BundleRequest, baggingDate: String) -> [BagInfoLine] {
        [
            ("Source-Organization", organization), ("External-Identifier", request.caseRef),
            ("Bagging-Date", baggingDate), ("Bag-Group-Identifier", request.caseRef),
            ("Internal-Sender-Identifier", request.id), ("Contact-Name", request.createdBy),
            ("Recipient", request.recipient), ("Expires", request.expiresAt),
            ("Bundle-Signature", "\(BundleLayout.signature) (Ed25519, ledger key)"),
        ]
    }
}

typealias BagInfoLine = (label: String, value: String)
