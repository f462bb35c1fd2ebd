import CustodyCore
import Crypto
import Foundation
import HTTPServer
import Uploads
import Vault

/// tus 1.0.0 vocabulary: the headers custody reads and writes, and how its errors become statuses.
public enum Tus {
    static let version = "1.0.0"
    static let extensions = "creation,creation-with-upload,termination,checksum,expiration"
    static let checksumAlgorithms = "sha1,sha256"
    static let offsetContentType = "application/offset+octet-stream"
    static let checksumMismatch = HTTPStatus(code: 460, reasonPhrase: "Checksum Mismatch")
    static let locked = HTTPStatus(code: 423, reasonPhrase: "Locked")
    static let insufficientStorage = HTTPStatus(code: 507, reasonPhrase: "Insufficient Storage")
    static let preconditionFailed = HTTPStatus(code: 412, reasonPhrase: "Precondition Failed")
    static let unsupportedMediaType = HTTPStatus(code: 415, reasonPhrase: "Unsupported Media Type")

    /// A refusal with the status to answer, a message for the dock, and a short reason for metrics.
    public struct Refusal: Error {
        public let status: HTTPStatus
        public let message: String
        public let reason: String
        /// Headers the answer carries besides the usual ones.
        var headers: HTTPHeaders = [:]
        /// Recorded in the ledger already where it happened, outside the dock's refusal budget.
        var recorded = false
        /// What the ledger says when it knows more than the dock may be told (`message` otherwise).
        var ledgerReason: String?
    }

    /// The request headers tus gives a meaning to (with Content-Type, for PATCH): each may be given once.
    static let headers = ["Upload-Length", "Upload-Offset", "Upload-Metadata", "Upload-Checksum",
                          "Upload-Defer-Length", "Upload-Concat", "Tus-Resumable", "Content-Type", "Authorization"]

    /// The answer to a header given more than once.
    static func duplicated(_ name: String) -> Refusal {
        Refusal(status: .badRequest, message: "\(name) is given more than once; send it once",
                reason: "duplicate_header")
    }

    /// What every request but OPTIONS must pass before its method is looked at. A tus header given
    /// twice is ambiguous (which one did the dock mean?): refused, as a repeated Content-Length is by
    /// the HTTP layer. The protocol version must be ours.
    public static func checkCommonHeaders(_ request: HTTPRequestHead) throws {
        if let repeated = headers.first(where: { request.headers.values(for: $0).count > 1 }) {
            throw duplicated(repeated)
        }
        guard request.headers["Tus-Resumable"] == version else {
            throw Refusal(status: preconditionFailed, message: "this server speaks tus \(version)",
                          reason: "tus_version")
        }
    }

    /// `Content-Type: application/offset+octet-stream`, in any case and with any parameters.
    public static func isOffsetStream(_ request: HTTPRequestHead) -> Bool {
        guard let value = request.headers["Content-Type"] else { return false }
        let mediaType = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
        return mediaType.trimmingCharacters(in: .whitespaces).lowercased() == offsetContentType
    }

    /// Every tus response carries Tus-Resumable.
    static func response(_ status: HTTPStatus, _ headers: HTTPHeaders = [:], text: String? = nil) -> HTTPResponse {
        var h = headers
        h.replaceOrAdd(name: "Tus-Resumable", value: version)
        h.replaceOrAdd(name: "Cache-Control", value: "no-store")
        guard let text else { return HTTPResponse(status: status, headers: h) }
        return .text(status, text + "\n", headers: h)
    }

    /// A non-negative decimal header (Upload-Length, Upload-Offset); nil when absent.
    public static func integer(_ request: HTTPRequestHead, _ name: String) throws -> Int64? {
        guard let text = request.headers[name] else { return nil }
        guard text.utf8.count <= 19, !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let value = Int64(text) else {
            throw Refusal(status: .badRequest, message: "\(name) must be a non-negative integer", reason: "bad_header")
        }
        return value
    }

    /// `Upload-Checksum: <algorithm> <base64 digest>`.
    public static func checksum(_ request: HTTPRequestHead) throws -> UploadChecksum? {
        guard let text = request.headers["Upload-Checksum"] else { return nil }
        let parts = text.split(separator: " ")
        guard parts.count == 2, let algorithm = UploadChecksum.Algorithm(rawValue: String(parts[0])) else {
            throw Refusal(status: .badRequest, message: "Upload-Checksum must be `sha1 <base64>` or `sha256 <base64>`",
                          reason: "bad_checksum_header")
        }
        guard let digest = Base64.decode(String(parts[1])), digest.count == (algorithm == .sha1 ? 20 : 32) else {
            throw Refusal(status: .badRequest, message: "Upload-Checksum: the digest is not base64 of the right length",
                          reason: "bad_checksum_header")
        }
        return UploadChecksum(algorithm: algorithm, expected: digest)
    }

    /// RFC 9110 IMF-fixdate, for Upload-Expires.
    static func httpDate(_ unix: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(unix)))
    }

    /// The one place a domain error becomes an HTTP answer; nil for a server failure (integrity,
    /// I/O), which is answered 500 and logged.
    static func refusal(_ error: CustodyError) -> Refusal? {
        switch error.kind {
        case .invalidInput(let field):
            return Refusal(status: .badRequest, message: error.message, reason: "bad_\(field)")
        case .notFound: return Refusal(status: .notFound, message: error.message, reason: "not_found")
        case .refused:
            return Refusal(status: .forbidden, message: error.message, reason: "refused", recorded: error.recorded)
        case .conflict: return Refusal(status: .conflict, message: error.message, reason: "conflict")
        case .diskFull: return Refusal(status: insufficientStorage, message: "the evidence server's disk is full; "
                                       + "retry later", reason: "disk_full")
        case .integrity, .missing, .failure: return nil
        }
    }

    /// The status and message for an upload store error.
    static func refusal(_ error: UploadError) -> Refusal {
        switch error {
        case .notFound: return Refusal(status: .notFound, message: "no such upload", reason: "not_found")
        case .notOwned:
            var refusal = Refusal(status: .notFound, message: "no such upload", reason: "not_found")
            refusal.ledgerReason = "not this dock's upload: it belongs to another dock"
            return refusal
        case .gone(let state): return Refusal(status: .gone, message: "the upload is \(state.rawValue)", reason: "gone")
        case .offsetMismatch(let current):
            return Refusal(status: .conflict, message: current >= 0 ? "Upload-Offset must be \(current)"
                                                                   : "the upload moved on meanwhile; HEAD it again",
                           reason: "offset_mismatch")
        case .tooLong: return Refusal(status: .contentTooLarge, message: "the body goes past Upload-Length",
                                      reason: "too_long")
        case .checksumMismatch: return Refusal(status: checksumMismatch, message: "the body does not match "
                                               + "Upload-Checksum; it was discarded, send it again", reason: "checksum")
        case .quarantined(let reason):
            return Refusal(status: checksumMismatch, message: "the recording was not accepted: \(reason); its bytes "
                           + "are kept in quarantine", reason: "sha256_mismatch", recorded: true)
        case .fullyReceived:
            return Refusal(status: .forbidden, message: "every byte of this upload is stored: it is evidence waiting "
                           + "to be ingested and cannot be deleted", reason: "fully_received")
        case .diskFull: return Refusal(status: insufficientStorage, message: "the evidence server's disk is full; "
                                       + "nothing of this request was kept, retry later", reason: "disk_full")
        }
    }
}
