import CFFmpeg

/// A failed libav* call: which call, on what, and FFmpeg's own message for the code it returned.
public struct MediaError: Error, CustomStringConvertible, Sendable {
    public let call: String
    public let code: Int32
    public let context: String

    init(_ call: String, code: Int32, context: String) {
        self.call = call
        self.code = code
        self.context = context
    }

    /// FFmpeg's description of `code` (`av_strerror`), e.g. "Invalid data found when processing input".
    public var message: String { Self.describe(code) }

    public var description: String { "\(call) failed for \(context): \(message)" }

    static func describe(_ code: Int32) -> String {
        var buf = [CChar](repeating: 0, count: 256)
        custody_av_strerror(code, &buf, buf.count)
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Returns `result` when it is not negative, else throws a `MediaError` for `call`.
    @discardableResult
    static func check(_ result: Int32, _ call: String, _ context: String) throws -> Int32 {
        if result < 0 { throw MediaError(call, code: result, context: context) }
        return result
    }
}
