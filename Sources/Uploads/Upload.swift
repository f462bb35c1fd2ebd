import CustodyCore
import Crypto
import Foundation

/// A resumable upload from a docking station (tus), from creation until its bytes become an exhibit.
public struct Upload: Sendable, Equatable {
    public enum State: String, Sendable {
        /// Receiving bytes.
        case active
        /// All bytes arrived and were ingested; `exhibit` names the result.
        case completed
        /// All bytes arrived but did not match the `sha256` the dock announced: kept, not ingested.
        case quarantined
        /// Deleted by the dock (tus termination).
        case terminated
        /// Abandoned past its expiry; its bytes were removed.
        case expired
    }

    /// 32 lower-case hex digits (128 random bits): the last part of the upload URL.
    public let id: String
    /// The docking station that created it; no other dock may touch it.
    public let owner: String
    public let length: Int64
    /// Bytes durably received: HEAD reports this, and a crash never leaves it ahead of the disk.
    public var offset: Int64
    public let metadata: UploadMetadata
    public let createdAt: String
    /// Unix seconds after which an unfinished upload is removed.
    public var expiresAt: Int64
    public var state: State
    public var exhibit: String?

    public var isFinished: Bool { offset == length }
    /// Whether the expiry has passed at `now` (Unix seconds): until the end of its second it has not.
    public func isPastExpiry(at now: Int64) -> Bool { expiresAt < now }

    public static func isValidID(_ id: Substring) -> Bool {
        id.utf8.count == 32 && Hex.isLowerHex(id)
    }
}

/// What a dock says about a recording (the tus `Upload-Metadata` header, which Service parses).
/// Known keys: `filename`, `device` (camera), `officer`, `captured_at` (RFC 3339), `sha256` (of the
/// whole recording, checked at the end). Unknown keys are kept as given, within the limits.
public struct UploadMetadata: Sendable, Equatable {
    public var filename: String?
    public var device: String?
    public var officer: String?
    public var capturedAt: String?
    public var sha256: SHA256Digest?
    public var other: [String: String] = [:]

    public init() {}

    /// Every key with its value, known keys included.
    public var all: [String: String] {
        var o = other
        o["filename"] = filename
        o["device"] = device
        o["officer"] = officer
        o["captured_at"] = capturedAt
        o["sha256"] = sha256?.hex
        return o
    }

    /// Stored form: JSON with sorted keys.
    var json: String {
        let data = (try? JSONSerialization.data(withJSONObject: all, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    init(json: String) {
        let o = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: String] ?? [:]
        filename = o["filename"]
        device = o["device"]
        officer = o["officer"]
        capturedAt = o["captured_at"]
        sha256 = o["sha256"].flatMap(SHA256Digest.init(hex:))
        other = o.filter { !["filename", "device", "officer", "captured_at", "sha256"].contains($0.key) }
    }
}
