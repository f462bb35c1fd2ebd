/// Size limits applied while decoding requests; each exceeded limit answers a specific status.
public struct HTTPLimits: Sendable, Equatable {
    /// Longest request line, header line, chunk-size line or trailer line, excluding its CRLF.
    /// A longer request line answers 414, a longer header or trailer line 431, a longer chunk line 400.
    public var maxLineLength: Int
    /// Most bytes of a request head (request line, header lines and every CRLF including the final empty
    /// line); also bounds the trailer section of a chunked body. Exceeding it answers 431.
    public var maxHeadBytes: Int
    /// Most header fields (and most trailer fields). Exceeding it answers 431.
    public var maxHeaderCount: Int
    /// Largest accepted request body, declared or chunked. Exceeding it answers 413.
    public var maxBodyBytes: Int64

    public init(maxLineLength: Int = 8 * 1024, maxHeadBytes: Int = 16 * 1024, maxHeaderCount: Int = 100,
                maxBodyBytes: Int64 = 64 << 30) {
        self.maxLineLength = maxLineLength
        self.maxHeadBytes = maxHeadBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
    }
}

/// Byte classes of RFC 9110 used by the decoders.
enum ByteClass {
    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let colon = UInt8(ascii: ":")

    /// tchar: the characters allowed in a token (method, header name, transfer coding).
    static func isToken(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(b)
        }
    }

    /// field-vchar, SP or HTAB: what a header value may contain (obs-text allowed, controls not).
    static func isFieldValue(_ b: UInt8) -> Bool {
        b == tab || (b >= 0x20 && b != 0x7F)
    }

    /// Visible ASCII: what a request target may contain.
    static func isTargetByte(_ b: UInt8) -> Bool {
        b > 0x20 && b < 0x7F
    }

    static func isDigit(_ b: UInt8) -> Bool {
        b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")
    }
}
