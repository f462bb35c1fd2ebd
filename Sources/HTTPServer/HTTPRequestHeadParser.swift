import Foundation

/// An incremental, allocation-light parser for one request head, fed with bytes as they arrive.
///
/// It consumes bytes up to and including the empty line ending the head and no further, so the caller
/// knows where the body (or a pipelined next request) starts. Every limit is checked as bytes arrive,
/// so a client cannot make it buffer more than `maxLineLength` bytes of one line. After it throws,
/// the parser must not be fed again; `reset()` it for the next connection.
public struct HTTPRequestHeadParser: Sendable {
    public let limits: HTTPLimits

    private var line: [UInt8] = []
    private var headBytes = 0
    private var requestLine: (method: String, target: String, version: HTTPVersion)?
    private var headers = HTTPHeaders()

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
            throw HTTPRequestError(.badRequest, "control character in value of \(String(decoding: name, as: UTF8.self))")
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
