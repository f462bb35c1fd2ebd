import CustodyCore

/// What the bundle writer is asked to write: the bundle's identity and the exhibits whose bytes it
/// sends (the derived ones where a redaction was asked for), in order.
public struct BundleRequest: Sendable, Equatable {
    public let id: String
    public let caseRef: String
    public let caseTitle: String?
    public let recipient: String
    /// The officer who asked for it (`Contact-Name`).
    public let createdBy: String
    public let createdAt: String
    /// When its link expires (RFC 3339), written into `bag-info.txt` and `bundle.json`.
    public let expiresAt: String
    /// Catalog IDs of the exhibits to send, in order.
    public let clips: [String]

    public init(id: String, caseRef: String, caseTitle: String?, recipient: String, createdBy: String,
                createdAt: String, expiresAt: String, clips: [String]) {
        self.id = id
        self.caseRef = caseRef
        self.caseTitle = caseTitle
        self.recipient = recipient
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.clips = clips
    }
}

/// What the writer wrote: the ZIP's size and SHA-256, the checkpoint its proofs lead to, and each
/// payload file (path in the bag, size, SHA-256) for the landing page.
public struct BuiltBundle: Sendable, Equatable {
    public struct File: Sendable, Equatable {
        public let path: String
        public let size: Int64
        public let sha256: SHA256Digest

        public init(path: String, size: Int64, sha256: SHA256Digest) {
            self.path = path
            self.size = size
            self.sha256 = sha256
        }
    }

    public let size: Int64
    public let sha256: SHA256Digest
    public let checkpointSize: UInt64
    public let files: [File]

    public init(size: Int64, sha256: SHA256Digest, checkpointSize: UInt64, files: [File]) {
        self.size = size
        self.sha256 = sha256
        self.checkpointSize = checkpointSize
        self.files = files
    }
}
