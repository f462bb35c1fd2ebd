import CustodyCore
import MediaModel

/// A catalogued recording (or a derived clip) and where its bytes are.
public struct Exhibit: Sendable, Equatable {
    public enum Status: String, Sendable {
        /// libavformat could read it.
        case ok
        /// Stored as evidence but not playable; `unreadableReason` says why.
        case unreadable
    }

    /// Catalog number, e.g. `EX-000042`.
    public var id: String
    public var sha256: SHA256Digest
    public var size: Int64
    public var chunkSize: Int
    public var filename: String?
    public var device: String
    public var officer: String
    public var capturedAt: String?
    public var ingestedAt: String
    public var status: Status
    public var unreadableReason: String?
    public var media: MediaInfo?
    /// For a derived exhibit: its parent's SHA-256, and the redaction spec that made it.
    public var parentSHA256: SHA256Digest?
    public var specSHA256: SHA256Digest?
    public var spec: String?

    public init(id: String, sha256: SHA256Digest, size: Int64, chunkSize: Int, filename: String?, device: String,
                officer: String, capturedAt: String?, ingestedAt: String, status: Status, unreadableReason: String?,
                media: MediaInfo?, parentSHA256: SHA256Digest?, specSHA256: SHA256Digest?, spec: String?) {
        self.id = id
        self.sha256 = sha256
        self.size = size
        self.chunkSize = chunkSize
        self.filename = filename
        self.device = device
        self.officer = officer
        self.capturedAt = capturedAt
        self.ingestedAt = ingestedAt
        self.status = status
        self.unreadableReason = unreadableReason
        self.media = media
        self.parentSHA256 = parentSHA256
        self.specSHA256 = specSHA256
        self.spec = spec
    }

    /// The camera the recording's own `camera_serial` tag names. `--device` may name a dock or be
    /// mistyped: both are kept (the device in the catalog, the tag in the media tags; `show` shows both).
    public var cameraSerial: String? { media?.tags["camera_serial"].flatMap { $0.isEmpty ? nil : $0 } }
}

/// Where an exhibit came from and who brought it in.
public struct IngestSource: Sendable {
    public var filename: String?
    public var device: String
    public var capturedAt: String?
    /// The officer who wore the camera, when not the actor ingesting (a dock uploads for an officer).
    public var officer: String?
    /// For derived exhibits.
    public var parentSHA256: SHA256Digest?
    public var specSHA256: SHA256Digest?
    public var spec: String?
    /// Why the derived exhibit was made (`--reason`); recorded in its custody event.
    public var reason: String?
    /// Facts about how it was made (e.g. damaged packets a redaction skipped), added to the details of
    /// its custody event.
    public var notes: [String: String] = [:]

    public init(filename: String?, device: String, capturedAt: String? = nil, officer: String? = nil,
                parentSHA256: SHA256Digest? = nil, specSHA256: SHA256Digest? = nil, spec: String? = nil,
                reason: String? = nil) {
        self.filename = filename
        self.device = device
        self.capturedAt = capturedAt
        self.officer = officer
        self.parentSHA256 = parentSHA256
        self.specSHA256 = specSHA256
        self.spec = spec
        self.reason = reason
    }
}
