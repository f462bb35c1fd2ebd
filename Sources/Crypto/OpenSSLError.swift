import COpenSSL

/// A failed OpenSSL call: which call, and the messages OpenSSL queued for it.
public struct OpenSSLError: Error, CustomStringConvertible, Sendable {
    public let call: String
    public let details: [String]

    /// Captures and clears OpenSSL's error queue for the failed `call`.
    init(_ call: String) {
        self.call = call
        var details = [String]()
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buf = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buf, buf.count)
            details.append(String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        self.details = details
    }

    /// An error OpenSSL queued nothing for, e.g. a failed system call underneath it.
    init(_ call: String, detail: String) {
        self.call = call
        self.details = [detail]
    }

    public var description: String {
        details.isEmpty ? "\(call) failed" : "\(call) failed: \(details.joined(separator: "; "))"
    }

    /// Throws when an OpenSSL call returned other than 1 (its usual success value).
    static func check(_ result: Int32, _ call: String) throws {
        if result != 1 { throw OpenSSLError(call) }
    }
}
