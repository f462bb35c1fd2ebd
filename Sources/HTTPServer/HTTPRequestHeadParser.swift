import Foundation

/// An incremental, allocation-light parser for one request head, fed with bytes as they arrive.
///
/// It consumes bytes up to and including the empty line ending the head and no further, so the caller
/// knows where the body (or a pipelined next request) starts. Every limit is checked as bytes arrive,
/// so a client cannot make it buffer more than `maxLineLength` bytes of one line. After it throws,
/// the parser must not be fed again; `reset()` it for the next connection.
public struct HTTPRequestHeadParser: Sendable {
    /// The limits enforced while parsing.
    public let limits: HTTPLimits

    private var line: [UInt8] = []
    private var headBytes = 0
    private var requestLine: (method: String, target: String, version: HTTPVersion)?
    private var headers = HTTPHeaders()

    /// A parser waiting for the first byte of a request.
    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
        line.reserveCapacity(256)
    }

    /// Whether any byte of a request head has been consumed since the last complete head.
    public var hasPartialHead: Bool { headBytes > 0 }

    /// Forgets any partial head.
    public mutating func reset() {
        line.removeAll(keepingCapacity: true)
        headBytes = 0
        requestLine = nil
        headers = HTTPHeaders()
    }

    /// Consumes bytes from `input`; returns how many were consumed and the head once it is complete.
    /// When a head is returned, `consumed` stops right after its final CRLF and the parser is reset.
    public mutating func parse(_ input: UnsafeRawBufferPointer) throws -> (consumed: Int, head: HTTPRequestHead?) {
        var index = 0
        while index < input.count {
            let byte = input[index]
            index += 1
            headBytes += 1
            guard headBytes <= limits.maxHeadBytes else {
                throw HTTPRequestError(.headerFieldsTooLarge, "request head exceeds \(limits.maxHeadBytes) bytes")
            }
            guard byte == ByteClass.lf else {
                // A line may hold maxLineLength bytes of content plus its CR.
                guard line.count <= limits.maxLineLength else { throw lineTooLong() }
                line.append(byte)
                continue
            }
            guard line.last == ByteClass.cr else { throw HTTPRequestError(.badRequest, "bare LF in request head") }
            line.removeLast()
            if let head = try completeLine() {
                reset()
                return (index, head)
            }
            line.removeAll(keepingCapacity: true)
        }
        return (index, nil)
    }

    private func lineTooLong() -> HTTPRequestError {
        requestLine == nil
            ? HTTPRequestError(.uriTooLong, "request line exceeds \(limits.maxLineLength) bytes")
            : HTTPRequestError(.headerFieldsTooLarge, "header line exceeds \(limits.maxLineLength) bytes")
    }

    /// Handles one line without its CRLF; returns the head when the line is the final empty one.
    private mutating func completeLine() throws -> HTTPRequestHead? {
        guard line.count <= limits.maxLineLength else { throw lineTooLong() }
        guard requestLine != nil else {
            // RFC 9112 section 2.2: ignore empty lines before the request line.
            if !line.isEmpty { requestLine = try Self.parseRequestLine(line) }
            return nil
        }
        if line.isEmpty { return try finishHead() }
        guard headers.count < limits.maxHeaderCount else {
            throw HTTPRequestError(.headerFieldsTooLarge, "more than \(limits.maxHeaderCount) header fields")
        }
        let field = try Self.parseHeaderLine(line)
        headers.add(name: field.name, value: field.value)
        return nil
    }

    static func parseRequestLine(_ line: [UInt8]) throws -> (method: String, target: String, version: HTTPVersion) {
        let parts = line.split(separator: ByteClass.space, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw HTTPRequestError(.badRequest, "malformed request line")
        }
        guard parts[0].allSatisfy(ByteClass.isToken) else { throw HTTPRequestError(.badRequest, "invalid method") }
        guard parts[1].allSatisfy(ByteClass.isTargetByte) else {
            throw HTTPRequestError(.badRequest, "invalid character in request target")
        }
        let version = try parseVersion(parts[2])
        return (String(decoding: parts[0], as: UTF8.self), String(decoding: parts[1], as: UTF8.self), version)
    }

    static func parseVersion(_ bytes: ArraySlice<UInt8>) throws -> HTTPVersion {
        let v = Array(bytes)
        guard v.count == 8, v[0..<5].elementsEqual("HTTP/".utf8), ByteClass.isDigit(v[5]), v[6] == UInt8(ascii: "."),
              ByteClass.isDigit(v[7])
        else {
            throw HTTPRequestError(.badRequest, "malformed HTTP version")
        }
        let version = HTTPVersion(major: Int(v[5] - 48), minor: Int(v[7] - 48))
        guard version == .http1_1 || version == .http1_0 else {
            throw HTTPRequestError(.versionNotSupported, "\(version) is not supported")
        }
        return version
    }

    static func parseHeaderLine(_ line: [UInt8]) throws -> HTTPHeaders.Field {
        if line.first == ByteClass.space || line.first == ByteClass.tab {
            throw HTTPRequestError(.badRequest, "obsolete line folding in header section")
        }
        guard let colon = line.firstIndex(of: ByteClass.colon), colon > 0 else {
            throw HTTPRequestError(.badRequest, "header line without field name")
        }
        let name = line[..<colon]
        guard name.allSatisfy(ByteClass.isToken) else {
            let hasWhitespace = name.last == ByteClass.space || name.last == ByteClass.tab
            throw HTTPRequestError(.badRequest, hasWhitespace ? "whitespace before colon" : "invalid header name")
        }
        var value = line[(colon + 1)...]
        while let b = value.first, b == ByteClass.space || b == ByteClass.tab { value.removeFirst() }
        while let b = value.last, b == ByteClass.space || b == ByteClass.tab { value.removeLast() }
        guard value.allSatisfy(ByteClass.isFieldValue) else {
            // Covers bare CR, NUL and other controls: never passed on to a handler or a log.
            let fieldName = String(decoding: name, as: UTF8.self)
            throw HTTPRequestError(.badRequest, "control character in value of \(fieldName)")
        }
        let text = value.allSatisfy { $0 < 0x80 }
            ? String(decoding: value, as: UTF8.self)
            : String(value.map { Character(Unicode.Scalar($0)) })  // obs-text read as ISO-8859-1
        return HTTPHeaders.Field(name: String(decoding: name, as: UTF8.self), value: text)
    }

    private func finishHead() throws -> HTTPRequestHead {
        guard let (method, target, version) = requestLine else {
            throw HTTPRequestError(.badRequest, "missing request line")
        }
        let framing = try Self.framing(of: headers, version: version, limits: limits)
        let hosts = headers.values(for: "Host")
        if version == .http1_1 && hosts.count != 1 || hosts.count > 1 {
            throw HTTPRequestError(.badRequest, "an HTTP/1.1 request needs exactly one Host header")
        }
        var expectsContinue = false
        if version == .http1_1, let expect = headers["Expect"] {
            guard expect.lowercased() == "100-continue" else {
                throw HTTPRequestError(.expectationFailed, "only Expect: 100-continue is supported")
            }
            expectsContinue = true
        }
        return HTTPRequestHead(method: method, target: target, version: version, headers: headers,
                               framing: framing, expectsContinue: expectsContinue)
    }
}

/// Message framing rules (RFC 9112 section 6): the checks that stop request smuggling live here.
extension HTTPRequestHeadParser {
    /// Decides how the body is delimited, rejecting every ambiguous combination.
    static func framing(of headers: HTTPHeaders, version: HTTPVersion, limits: HTTPLimits) throws
        -> HTTPBodyFraming
    {
        let hasLength = headers.contains(name: "Content-Length")
        if headers.contains(name: "Transfer-Encoding") {
            // A front end and this server could disagree on which one wins: refuse both (section 6.3).
            guard !hasLength else {
                throw HTTPRequestError(.badRequest, "both Content-Length and Transfer-Encoding")
            }
            guard version == .http1_1 else {
                throw HTTPRequestError(.badRequest, "Transfer-Encoding in an HTTP/1.0 request")
            }
            let codings = headers.listElements(for: "Transfer-Encoding").map { $0.lowercased() }
            guard !codings.isEmpty else { throw HTTPRequestError(.badRequest, "empty Transfer-Encoding") }
            if let unknown = codings.first(where: { $0 != "chunked" }) {
                guard unknown.utf8.allSatisfy(ByteClass.isToken) else {
                    throw HTTPRequestError(.badRequest, "malformed Transfer-Encoding")
                }
                throw HTTPRequestError(.notImplemented, "transfer coding \(unknown) is not supported")
            }
            guard codings.count == 1 else { throw HTTPRequestError(.badRequest, "chunked applied more than once") }
            return .chunked
        }
        guard hasLength else { return .none }
        let length = try contentLength(headers)
        guard length <= limits.maxBodyBytes else {
            throw HTTPRequestError(.contentTooLarge, "body of \(length) bytes exceeds \(limits.maxBodyBytes)")
        }
        return .contentLength(length)
    }

    /// The single Content-Length value; repeated identical values are allowed (section 6.3 item 5).
    static func contentLength(_ headers: HTTPHeaders) throws -> Int64 {
        var result: Int64?
        for value in headers.values(for: "Content-Length") {
            for element in value.split(separator: ",", omittingEmptySubsequences: false) {
                let trimmed = element.trimmingCharacters(in: [" ", "\t"])
                let length = try parseDecimal(trimmed)
                if let result, result != length {
                    throw HTTPRequestError(.badRequest, "conflicting Content-Length values")
                }
                result = length
            }
        }
        guard let result else { throw HTTPRequestError(.badRequest, "empty Content-Length") }
        return result
    }

    /// 1*DIGIT without sign or whitespace, rejecting overflow instead of wrapping.
    static func parseDecimal(_ text: String) throws -> Int64 {
        guard !text.isEmpty else { throw HTTPRequestError(.badRequest, "empty Content-Length") }
        var value: Int64 = 0
        for byte in text.utf8 {
            guard ByteClass.isDigit(byte) else { throw HTTPRequestError(.badRequest, "non-digit in Content-Length") }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            guard !o1, !o2 else { throw HTTPRequestError(.badRequest, "Content-Length overflows") }
            value = sum
        }
        return value
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
