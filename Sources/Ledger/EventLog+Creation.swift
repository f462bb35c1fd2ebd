import CustodyCore
import SQLite

/// An exhibit's identity is anchored in the log by the event that created it: its SHA-256 and size
/// are in that event's leaf, which the Merkle tree and the signed checkpoints cover, while the
/// catalog row beside it is an ordinary table anyone with write access to the database can change.
extension EventLog {
    /// The rows `events_creation` indexes; every query for creation events repeats it verbatim, so
    /// SQLite can use the partial index.
    static let creationFilter = "action IN ('ingest', 'redact') AND outcome = 'ok'"
    static let creationEventsOfOne =
        "SELECT \(columns) FROM events WHERE exhibit = ? AND \(creationFilter) ORDER BY seq"
    static let creationEventsOfSHA256 =
        "SELECT \(columns) FROM events WHERE object_sha256 = ? AND \(creationFilter) ORDER BY seq"
    static let creationEventsOfAll =
        "SELECT \(columns) FROM events WHERE exhibit IS NOT NULL AND \(creationFilter) ORDER BY exhibit, seq"

    /// The number in an exhibit ID (`EX-000042`: 42) as SQL, for the rows `namesExhibitNumber` selects;
    /// every query repeats both verbatim, so SQLite can use the `events_exhibit_number` index.
    static let exhibitNumber = "CAST(substr(exhibit, 4) AS INTEGER)"
    static let namesExhibitNumber = "exhibit GLOB 'EX-[0-9]*'"
    static let greatestExhibitNumber = """
        SELECT \(exhibitNumber) FROM events INDEXED BY events_exhibit_number WHERE \(namesExhibitNumber)
        ORDER BY \(exhibitNumber) DESC LIMIT 1
        """

    /// The greatest exhibit number any event names, compared as numbers; nil when none names one. A new
    /// exhibit is numbered above it, so no event that named an earlier exhibit (whose catalog rows may
    /// since have been deleted) ever seems to be about the new one.
    public func greatestExhibitNamed() throws -> Int64? {
        try db.query(Self.greatestExhibitNumber).first?.int(0)
    }

    /// True for an event that catalogued a new exhibit: a successful `ingest` (a `redact` for a
    /// derived exhibit) naming the exhibit and its SHA-256, and neither a duplicate (the vault
    /// already held the bytes), a redaction's read of its source (`role=source`) nor the repair of
    /// catalog rows (`repaired_catalog`).
    public static func createsExhibit(_ e: CustodyEvent) -> Bool {
        (e.action == .ingest || e.action == .redact) && e.outcome == .ok && e.exhibit != nil
            && e.objectSHA256 != nil && e.details["duplicate"] != "true" && e.details["role"] == nil
            && e.details["repaired_catalog"] == nil
    }

    /// The event that created `exhibit`: the first one `createsExhibit` accepts. A later one naming
    /// the same ID does not count (an ID can only be made twice by deleting catalog rows).
    public func creationEvent(exhibit: String) throws -> CustodyEvent? {
        try firstCreation(Self.creationEventsOfOne, exhibit)
    }

    /// The first event that created an exhibit with SHA-256 `sha256`, through its partial index; nil when
    /// none did (the exhibit it names may since have been created again: the caller compares).
    public func creationEvent(sha256: String) throws -> CustodyEvent? {
        try firstCreation(Self.creationEventsOfSHA256, sha256)
    }

    /// The first event `query` (one of the creation queries, bound to `value`) finds that `createsExhibit`.
    private func firstCreation(_ query: String, _ value: String) throws -> CustodyEvent? {
        let statement = try db.prepare(query)
        defer { statement.reset() }
        try statement.bind([.text(value)])
        while let row = try statement.next() {
            let event = try Self.decode(row)
            if Self.createsExhibit(event) { return event }
        }
        return nil
    }

    /// The creation event of every exhibit the log names, by exhibit ID, in one pass over the partial
    /// index: a few rows per exhibit, whatever the log's size (in seq order SQLite would scan the log).
    /// A malformed row stands in for its exhibit's creation event when it comes first, as the failure
    /// the caller reports.
    public func creationEvents() throws -> [(exhibit: String, event: Result<CustodyEvent, CustodyError>)] {
        var seen = Set<String>()
        var found = [(exhibit: String, event: Result<CustodyEvent, CustodyError>)]()
        let statement = try db.prepare(Self.creationEventsOfAll)
        defer { statement.reset() }
        while let row = try statement.next() {
            guard let exhibit = row.text(5), !seen.contains(exhibit) else { continue }
            let event: Result<CustodyEvent, CustodyError>
            do { event = .success(try Self.decode(row)) } catch let e as CustodyError { event = .failure(e) }
            if case .success(let e) = event, !Self.createsExhibit(e) { continue }
            seen.insert(exhibit)
            found.append((exhibit, event))
        }
        return found
    }

    /// The newest stored checkpoint, its signature checked with `verifier`; nil before the first one.
    /// Throws an integrity error when it does not verify.
    public func newestSignedCheckpoint(verifier: NoteVerifier) throws -> Checkpoint? {
        guard let stored = try latestCheckpoint() else { return nil }
        do { return try Checkpoint.open(stored.note, verifier: verifier) } catch let e as CustodyError {
            throw CustodyError.integrity("the newest ledger checkpoint (\(stored.number)) does not verify: "
                                         + e.message)
        }
    }

    /// Why `event`, as read from its row, is not leaf `event.seq` of the log, or nil when it is. With
    /// a signed `checkpoint` that covers it, an inclusion proof from the stored tree must lead to the
    /// checkpoint's root, so neither the row nor the stored hashes can have been changed without the
    /// signing key. An event newer than the checkpoint (the daemon signs up to a second behind) is
    /// compared with the stored leaf hash only.
    public func inclusionProblem(_ event: CustodyEvent, checkpoint: Checkpoint?) throws -> String? {
        let leaf = Merkle.leafHash(event.leafBytes)
        let index = UInt64(event.seq)
        do {
            if let checkpoint, index < checkpoint.size {
                let proof = try inclusionProof(index: index, size: checkpoint.size).map(\.bytes)
                if Merkle.verifyInclusion(index: index, size: checkpoint.size, leafHash: leaf.bytes, proof: proof,
                                          root: checkpoint.root.bytes) { return nil }
                return "event \(event.seq) is not the one the signed checkpoint of \(checkpoint.size) events covers: "
                    + "the ledger was changed (verifying the whole ledger says where)"
            }
            if try tree.hash(level: 0, index: index) == leaf { return nil }
            return "event \(event.seq) does not match the ledger's tree: the ledger was changed "
                + "(verifying the whole ledger says where)"
        } catch let e as CustodyError where e.kind == .integrity {
            return "event \(event.seq) cannot be proved to be in the ledger: \(e.message)"
        }
    }
}
