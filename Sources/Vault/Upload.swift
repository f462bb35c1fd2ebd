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

    static func isValidID(_ id: Substring) -> Bool {
        id.utf8.count == 32 && Hex.isLowerHex(id)
    }
}

/// The tus `Upload-Metadata` a dock sends: `key base64value` pairs separated by commas.
/// Known keys: `filename`, `device` (camera), `officer`, `captured_at` (RFC 3339), `sha256` (of the
/// whole recording, checked at the end). Unknown keys are kept as given, within the limits.
public struct UploadMetadata: Sendable, Equatable {
    public var filename: String?
    public var device: String?
    public var officer: String?
    public var capturedAt: String?
    public var sha256: SHA256Digest?
    public var other: [String: String] = [:]

    public static let maxHeaderBytes = 4096
    static let maxFilenameBytes = 255

    public init() {}

    /// Parses and checks the header; errors name the key at fault.
    public init(header: String?) throws {
        guard let header, !header.isEmpty else { return }
        guard header.utf8.count <= Self.maxHeaderBytes else {
            throw CustodyError.invalidInput(field: "metadata",
                                            "Upload-Metadata is longer than \(Self.maxHeaderBytes) bytes")
        }
        var seen = Set<Substring>()
        for pair in header.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = pair.trimmingCharacters(in: .whitespaces)
                .split(separator: " ", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let key = parts.first, !key.isEmpty,
                  key.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
                throw CustodyError.invalidInput(field: "metadata",
                                                "Upload-Metadata is malformed (expected `key base64,key base64`)")
            }
            guard seen.insert(key).inserted else {
                throw CustodyError.invalidInput(field: "metadata",
                                                "Upload-Metadata names \(key) twice (keys must be unique)")
            }
            var value = ""
            if parts.count == 2 {
                guard let bytes = Base64.decode(String(parts[1])), let text = String(validating: bytes, as: UTF8.self)
                else { throw CustodyError.invalidInput(field: "metadata",
                    "Upload-Metadata \(key): the value is not base64 of UTF-8 text") }
                value = text
            }
            try set(String(key), value)
        }
    }

    private mutating func set(_ key: String, _ value: String) throws {
        switch key {
        case "filename": filename = try Self.sanitizeFilename(value)
        case "device", "officer":
            guard Actor.isValidID(value) else {
                throw CustodyError.invalidInput(field: "metadata",
                    "Upload-Metadata \(key) must be 1-64 letters, digits or ._@- characters")
            }
            if key == "device" { device = value } else { officer = value }
        case "captured_at":
            guard let normalized = Timestamp.normalize(value) else {
                throw CustodyError.invalidInput(field: "metadata",
                                                "Upload-Metadata captured_at must be an RFC 3339 date-time")
            }
            capturedAt = normalized
        case "sha256":
            guard let digest = SHA256Digest(hex: value.lowercased()) else {
                throw CustodyError.invalidInput(field: "metadata", "Upload-Metadata sha256 must be 64 hex digits")
            }
            sha256 = digest
        default:
            guard other.count < 16 else { throw CustodyError.invalidInput(field: "metadata",
                "Upload-Metadata has more than 16 other keys") }
            guard !value.altersDisplay else { throw Self.altersDisplay(key) }
            other[key] = value
        }
    }

    /// A value that could forge or reorder what a person reads where it is shown (`list`, `ledger log`).
    static func altersDisplay(_ key: String) -> CustodyError {
        .invalidInput(field: "metadata",
                      "Upload-Metadata \(key) contains control or bidirectional formatting characters "
               + "(U+0000-U+001F, U+007F-U+009F, U+200E, U+200F, U+061C, U+202A-U+202E, U+2066-U+2069)")
    }

    /// Only the last path component survives: a dock cannot name a file `../../etc/passwd`; control and
    /// bidirectional formatting characters are refused, and names are at most 255 bytes.
    static func sanitizeFilename(_ name: String) throws -> String {
        guard !name.altersDisplay else { throw altersDisplay("filename") }
        let last = name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        guard !last.isEmpty, last != ".", last != "..", last.utf8.count <= maxFilenameBytes else {
            throw CustodyError.invalidInput(field: "metadata",
                "Upload-Metadata filename must name a file (at most \(maxFilenameBytes) bytes)")
        }
        return last
    }

    /// Every key with its value, known keys included.
    var all: [String: String] {
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

    /// Back to the tus header form, for HEAD responses.
    public var header: String {
        all.sorted { $0.key < $1.key }.map { "\($0.key) \(Base64.encode(Array($0.value.utf8)))" }
            .joined(separator: ",")
    }
}
