import Catalog
import CourtBundle
import Crypto
import CustodyCore
import Ledger
import Vault

/// Everything a bundle holds but the clips' bytes, gathered from the vault before the first byte is
/// written: each clip checked against the event that created it, its parent, the events of both, the
/// checkpoint they are proved against and the ledger key. Small: events and names, no clip bytes.
struct BundleContents {
    struct Parent {
        let exhibit: String
        let sha256: String
        let creationEvent: Int64
    }

    struct Clip {
        let anchored: AnchoredExhibit
        /// Its path in the bag (`data/<exhibit>_<name>`).
        let path: String
        let parent: Parent?
        /// The redaction spec's exact bytes, for a derived clip.
        let spec: [UInt8]?
        var exhibit: Exhibit { anchored.exhibit }
    }

    let organization: String
    let origin: String
    let checkpoint: StoredCheckpoint
    let opened: Checkpoint
    let clips: [Clip]
    /// Every event of each clip's exhibit and of its parent in the checkpoint, by seq.
    let events: [CustodyEvent]
    let publicKeyPEM: String
    let verifierKey: String
    let signingKey: Ed25519Key

    var payloadBytes: Int64 { clips.reduce(0) { $0 + $1.anchored.size } }

    init(_ request: BundleRequest, vault: Vault) throws {
        guard !request.clips.isEmpty else {
            throw CustodyError.invalidInput(field: "exhibit", "bundle \(request.id) has no clip to send")
        }
        guard Set(request.clips).count == request.clips.count else {
            throw CustodyError.invalidInput(field: "exhibit", "bundle \(request.id) names an exhibit twice")
        }
        organization = try vault.organization()
        origin = try vault.ledgerOrigin()
        // Signed after every event so far, so after the last one the bundle includes.
        guard let checkpoint = try vault.checkpoint() else {
            throw CustodyError.notFound(.checkpoint, "the ledger is empty")
        }
        let verifier = try vault.noteVerifier()
        self.checkpoint = checkpoint
        opened = try Checkpoint.open(checkpoint.note, verifier: verifier)
        clips = try request.clips.map { try Self.clip($0, vault: vault) }
        var bySeq: [Int64: CustodyEvent] = [:]
        let exhibits = clips.flatMap { [$0.exhibit.id] + ($0.parent.map { [$0.exhibit] } ?? []) }
        for exhibit in Set(exhibits) {
            for event in try vault.events.events(exhibit: exhibit) where event.seq < Int64(checkpoint.size) {
                bySeq[event.seq] = event
            }
        }
        events = bySeq.keys.sorted().map { bySeq[$0]! }
        publicKeyPEM = try String(contentsOfFile: vault.directory.ledgerPublicKey, encoding: .utf8)
        verifierKey = verifier.vkey
        signingKey = try vault.directory.loadLedgerKey()
        guard try signingKey.publicBytes() == verifier.publicKey,
              try Ed25519Key(pem: publicKeyPEM).publicBytes() == verifier.publicKey else {
            throw CustodyError.integrity("the ledger key \(vault.directory.ledgerPrivateKey) does not match the "
                                         + "public key \(vault.directory.ledgerPublicKey)")
        }
    }

    private static func clip(_ id: String, vault: Vault) throws -> Clip {
        let anchored = try vault.anchored(vault.catalog.find(id))
        let exhibit = anchored.exhibit
        let path = BundleLayout.clip(exhibit: exhibit.id, filename: exhibit.filename)
        guard let parentSHA256 = exhibit.parentSHA256 else {
            return Clip(anchored: anchored, path: path, parent: nil, spec: nil)
        }
        guard let creation = try vault.events.creationEvent(sha256: parentSHA256.hex), let parent = creation.exhibit
        else {
            throw CustodyError.integrity("\(exhibit.id) names parent \(parentSHA256), which no event of the ledger "
                                         + "created")
        }
        let spec = exhibit.spec.map { Array($0.utf8) }
        guard let spec, let specSHA256 = exhibit.specSHA256, SHA256.hash(spec) == specSHA256 else {
            throw CustodyError.integrity("the redaction spec of \(exhibit.id) is missing or does not hash to the "
                                         + "spec_sha256 its redact event recorded")
        }
        return Clip(anchored: anchored, path: path,
                    parent: Parent(exhibit: parent, sha256: parentSHA256.hex, creationEvent: creation.seq),
                    spec: spec)
    }

    /// The inclusion proof of `event` in the checkpoint, checked before it is written.
    func proof(of event: CustodyEvent, vault: Vault) throws -> InclusionProof {
        try vault.inclusionProof(of: event, in: checkpoint, opened: opened)
    }
}
