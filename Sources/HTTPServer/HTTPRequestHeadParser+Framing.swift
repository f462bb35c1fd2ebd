/// Message framing rules (RFC 9112 section 6): the checks that stop request smuggling live here.
extension HTTPRequestHeadParser {
    /// Decides how the body is delimited, rejecting every ambiguous combination.
    static func framing(of headers: HTTPHeaders, version: HTTPVersion, limits: HTTPLimits) throws -> HTTPBodyFraming {
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
