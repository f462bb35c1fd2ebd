import Foundation

/// An S3 error response: its HTTP status and the `<Code>` of its XML body (`NoSuchKey`, `AccessDenied`, ...).
public struct S3Error: Error, CustomStringConvertible, Equatable, Sendable {
    public let status: Int
    public let code: String
    public let message: String
    public let operation: String

    public init(status: Int, code: String, message: String, operation: String) {
        self.status = status
        self.code = code
        self.message = message
        self.operation = operation
    }

    /// Parses an error body (at most 64 KiB are kept).
    init(status: Int, body: [UInt8], operation: String) {
        let text = String(decoding: body, as: UTF8.self)
        self.init(status: status, code: XMLText.first("Code", in: text) ?? "HTTP\(status)",
                  message: XMLText.first("Message", in: text) ?? "", operation: operation)
    }

    /// Worth asking again: the server was busy or failed inside (500, 502, 503, 504, SlowDown), gave up waiting
    /// for the body (400 RequestTimeout), or another conditional write of the key is under way (409).
    public var isRetryable: Bool {
        [500, 502, 503, 504].contains(status)
            || ["SlowDown", "RequestTimeout", "ConditionalRequestConflict", "OperationAborted"].contains(code)
    }

    public var description: String {
        "\(operation): the object store answered \(status) \(code)\(message.isEmpty ? "" : ": \(message)")"
    }
}

/// Just enough XML for S3's answers: the text of elements by name, entities decoded. S3's listings are flat and
/// our keys are hex, so no tree is needed.
enum XMLText {
    static func all(_ name: String, in text: String) -> [String] {
        var out: [String] = []
        var rest = text[...]
        while let open = rest.range(of: "<\(name)>"), let close = rest[open.upperBound...].range(of: "</\(name)>") {
            out.append(decode(String(rest[open.upperBound..<close.lowerBound])))
            rest = rest[close.upperBound...]
        }
        return out
    }

    static func first(_ name: String, in text: String) -> String? { all(name, in: text).first }

    static func decode(_ text: String) -> String {
        guard text.contains("&") else { return text }
        return text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
