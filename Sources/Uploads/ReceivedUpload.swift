import CustodyCore

/// A fully received upload whose bytes match what the dock announced, handed to the application layer
/// to ingest: its pieces are chunk-sized files, each already hashed.
public struct ReceivedUpload {
    public let upload: Upload
    /// The SHA-256 of the whole recording.
    public let sha256: SHA256Digest
    /// Each piece's SHA-256 (its name in the chunk store) and size, in order.
    public let pieces: [(digest: SHA256Digest, size: Int)]
    /// Each piece's file; a completion cut short may already have moved some into the chunk store.
    public let paths: [String]
}

/// The exhibit a received upload became.
public struct IngestedUpload {
    /// Its catalog ID.
    public let id: String
    public let sha256: SHA256Digest
    /// Whether the recording was in the catalog already.
    public let duplicate: Bool

    public init(id: String, sha256: SHA256Digest, duplicate: Bool) {
        self.id = id
        self.sha256 = sha256
        self.duplicate = duplicate
    }
}

/// How the application layer ingests a received upload: it makes the pieces an exhibit and, inside the
/// transaction that catalogues it, calls `completing` with the exhibit, which marks the upload
/// completed and records that in the ledger.
public typealias UploadIngest = (ReceivedUpload, _ completing: (IngestedUpload) throws -> Void) throws -> Void
