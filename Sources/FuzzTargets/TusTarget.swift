import CustodyCore
import HTTPServer
import Service
import Uploads

/// The tus request headers, read as `TusHandler` reads them, from a request head parsed by the HTTP
/// layer: what it accepts must be what a dock meant, and what it gives back must read the same.
extension FuzzTarget {
    static let tusHeaders = FuzzTarget(
        name: "tus-headers", summary: "Tus.checkCommonHeaders, Upload-Length/-Offset/-Checksum, Upload-Metadata",
        dictionary: ["Tus-Resumable: 1.0.0\r\n", "Upload-Length: ", "Upload-Offset: ", "Upload-Metadata: ",
                     "Upload-Checksum: sha256 ", "Upload-Checksum: sha1 ", "Upload-Defer-Length: 1\r\n",
                     "Content-Type: application/offset+octet-stream\r\n", "filename ", "device ", "officer ",
                     "captured_at ", "sha256 ", ",", "=", "9223372036854775807", "9223372036854775808", "\r\n"]
    ) { bytes in
        var parser = HTTPRequestHeadParser()
        let head: HTTPRequestHead
        do {
            let parsed = try bytes.withUnsafeBytes { try parser.parse($0) }
            guard let h = parsed.head else { return .incomplete }
            head = h
        } catch let error as HTTPRequestError {
            return try refusal(error)
        }
        do {
            try Tus.checkCommonHeaders(head)
            for name in ["Upload-Length", "Upload-Offset"] {
                if let n = try Tus.integer(head, name), n < 0 { throw FuzzFailure("\(name) \(n) was accepted") }
            }
            if let checksum = try Tus.checksum(head),
               checksum.expected.count != (checksum.algorithm == .sha1 ? 20 : 32) {
                throw FuzzFailure("a \(checksum.expected.count)-byte \(checksum.algorithm) digest was accepted")
            }
            _ = Tus.isOffsetStream(head)
            let metadata = try UploadMetadata(header: head.headers["Upload-Metadata"])
            try checkAccepted(metadata)
            return .accepted
        } catch let refusal as Tus.Refusal {
            return .refused(refusal.reason)
        } catch let error as CustodyError where error.field == "metadata" {
            return .refused("metadata")
        }
    }

    /// Upload-Metadata that was accepted: a file name that names no folder, nothing that alters what
    /// is displayed, and a header given back on HEAD that parses to the same values.
    static func checkAccepted(_ metadata: UploadMetadata) throws {
        if let name = metadata.filename, name.contains("/") || name.contains("\\") || name == ".." || name.isEmpty {
            throw FuzzFailure("file name \(name.debugDescription) was accepted")
        }
        if let bad = metadata.all.first(where: { $0.value.altersDisplay }) {
            throw FuzzFailure("metadata \(bad.key) \(bad.value.debugDescription) was accepted")
        }
        let again: UploadMetadata
        do { again = try UploadMetadata(header: metadata.header) } catch {
            throw FuzzFailure("the header given back on HEAD is refused: \(error)")
        }
        guard again == metadata else { throw FuzzFailure("the header given back on HEAD reads differently") }
    }
}
