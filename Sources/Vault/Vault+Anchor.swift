import Catalog
import CustodyCore
import Crypto
import Ledger

/// An exhibit whose catalog row and chunk list agree with the ledger event that created it: what
/// every read of its bytes goes by.
public struct AnchoredExhibit: Sendable {
    public let exhibit: Exhibit
    /// The event that created it (`ingest`, or `redact` for a derived exhibit).
    public let creation: CustodyEvent
    /// The SHA-256 and size that event recorded: the whole file must hash to these.
    public let sha256: SHA256Digest
    public let size: Int64
    /// The chunk list, checked against the event's `chunks_sha256` where it has one.
    public let chunks: [(digest: SHA256Digest, size: Int)]
}

/// Which signed checkpoint the creation events are proved against, read once per command.
struct AnchorContext {
    let checkpoint: Result<Checkpoint?, CustodyError>
}

extension Vault {
    /// The SHA-256 of an exhibit's chunk list as its creation event records it (`chunks_sha256`):
    /// one line `<chunk sha256> <size>` per chunk, in order, as `sha256sum` prints it for the output of
    /// `sqlite3 custody.sqlite "SELECT chunk || ' ' || size FROM exhibit_chunks WHERE exhibit = N ORDER BY idx"`.
    public static func chunkListDigest(_ chunks: [(digest: SHA256Digest, size: Int)]) -> SHA256Digest {
        let hash = SHA256()
        for chunk in chunks { hash.update(Array("\(chunk.digest.hex) \(chunk.size)\n".utf8)) }
        return hash.finalize()
    }

    /// The number for a new exhibit: above every exhibit in the catalog and every exhibit any ledger
    /// event names. An ID the ledger already used is not handed out again after that exhibit's catalog
    /// rows were deleted: its events would then seem to be about the new exhibit, and `verify` could no
    /// longer say the old one is missing.
    func unusedExhibitNumber() throws -> Int64 {
        let named = try events.greatestExhibitNamed() ?? 0
        guard named < Int64.max else {
            throw CustodyError.integrity("the ledger names exhibit number \(named): no higher number is left "
                                         + "(verifying the ledger shows whether its events were changed)")
        }
        return max(try catalog.nextNumber(), named + 1)
    }

    func anchorContext() throws -> AnchorContext {
        let verifier = try noteVerifier()
        do {
            return AnchorContext(checkpoint: .success(try events.newestSignedCheckpoint(verifier: verifier)))
        } catch let e as CustodyError where e.kind == .integrity {
            return AnchorContext(checkpoint: .failure(e))  // reported for each exhibit; the rest is still checked
        }
    }

    /// `exhibit` checked against the ledger event that created it; throws an integrity error naming
    /// the exhibit and every disagreement (SHA-256, size, parent, spec, chunk list, or no such event).
    /// An exhibit retention deleted is refused (`notFound`): its chunks are not read.
    public func anchored(_ exhibit: Exhibit) throws -> AnchoredExhibit {
        _ = try live(exhibit)
        let chunks = try catalog.chunks(of: exhibit)
        let creation = try events.creationEvent(exhibit: exhibit.id)
        let problems = try ledgerDisagreements(exhibit, creation: creation, chunks: chunks, context: anchorContext())
        guard let creation, problems.isEmpty, let identity = Self.identity(recordedBy: creation, of: exhibit) else {
            throw CustodyError.integrity(problems.map { "\(exhibit.id) \($0)" }.joined(separator: "; "))
        }
        // The ledger's values, not the catalog's (equal here): the bytes read must hash to what was signed.
        return AnchoredExhibit(exhibit: exhibit, creation: creation, sha256: identity.sha256, size: identity.size,
                               chunks: chunks)
    }

    /// The SHA-256 and size `creation` recorded for `exhibit` (events from before sizes were recorded
    /// leave the size to the catalog, and the whole file's SHA-256 covers it).
    static func identity(recordedBy creation: CustodyEvent, of exhibit: Exhibit)
        -> (sha256: SHA256Digest, size: Int64)? {
        guard let sha256 = creation.objectSHA256.flatMap(SHA256Digest.init(hex:)) else { return nil }
        return (sha256, creation.details["size"].flatMap { Int64($0) } ?? exhibit.size)
    }

    /// How the catalog's record of `exhibit` disagrees with the ledger: empty when it agrees. For
    /// `show`, which reports rather than refuses.
    public func ledgerDisagreements(_ exhibit: Exhibit) throws -> [String] {
        let chunks: [(digest: SHA256Digest, size: Int)]
        do { chunks = try catalog.chunks(of: exhibit) } catch let e as CustodyError where e.kind == .integrity {
            return [e.message]
        }
        return try ledgerDisagreements(exhibit, creation: events.creationEvent(exhibit: exhibit.id), chunks: chunks,
                                       context: anchorContext())
    }

    /// Each way the catalog row and chunk list of `exhibit` differ from `creation`, its creation event
    /// (nil: the ledger has none), phrased to follow the exhibit's ID. `chunks` nil skips the chunk list.
    func ledgerDisagreements(_ exhibit: Exhibit, creation: CustodyEvent?, chunks: [(digest: SHA256Digest, size: Int)]?,
                             context: AnchorContext) throws -> [String] {
        guard let creation else {
            return ["has no ingest or redact event in the ledger: its catalog row was not made by custody"]
        }
        let checkpoint: Checkpoint?
        switch context.checkpoint {
        case .failure(let e):
            return ["cannot be checked against its \(creation.action.rawValue) event \(creation.seq): \(e.message)"]
        case .success(let c): checkpoint = c
        }
        if let problem = try events.inclusionProblem(creation, checkpoint: checkpoint) { return [problem] }
        let what = "its \(creation.action.rawValue) event \(creation.seq)"
        var problems = [String]()
        func compare(_ field: String, catalog: String?, ledger: String?) {
            if catalog != ledger {
                problems.append("has \(field) \(catalog ?? "(none)") in the catalog, but \(what) recorded "
                                + (ledger ?? "none"))
            }
        }
        compare("SHA-256", catalog: exhibit.sha256.hex, ledger: creation.objectSHA256)
        if let size = creation.details["size"] { compare("size", catalog: String(exhibit.size), ledger: size) }
        compare("parent", catalog: exhibit.parentSHA256?.hex, ledger: creation.details["parent_sha256"])
        compare("spec", catalog: exhibit.specSHA256?.hex, ledger: creation.details["spec_sha256"])
        if let chunks, let recorded = creation.details["chunks_sha256"] {
            compare("a chunk list with SHA-256", catalog: Self.chunkListDigest(chunks).hex, ledger: recorded)
        }
        return problems
    }
}
