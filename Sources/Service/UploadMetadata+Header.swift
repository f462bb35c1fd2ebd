import Crypto
import CustodyCore
import Foundation
import Uploads

/// The tus `Upload-Metadata` header: parsed and checked when a dock creates an upload, given back on
/// HEAD. The store keeps the parsed value (`UploadMetadata`), with no knowledge of the header.
extension UploadMetadata {
    public static let maxHeaderBytes = 4096
    static let maxFilenameBytes = 255

    /// Parses and checks the header; errors name the key at fault.
    public init(header: String?) throws {
        self.init()
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

    /// Back to the tus header form, for HEAD responses.
    public var header: String {
        all.sorted { $0.key < $1.key }.map { "\($0.key) \(Base64.encode(Array($0.value.utf8)))" }
            .joined(separator: ",")
    }
}
