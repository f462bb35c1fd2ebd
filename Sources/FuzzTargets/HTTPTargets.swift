import HTTPServer

/// The HTTP request head parser and the chunked decoder, fed whole and then in pieces: a streaming
/// parser must give the same answer however its input is cut.
extension FuzzTarget {
    /// Small limits, so mutations reach them.
    static let httpLimits = HTTPLimits(maxLineLength: 256, maxHeadBytes: 1024, maxHeaderCount: 20, maxBodyBytes: 4096)

    /// The statuses the HTTP layer may refuse a request with.
    static let httpRefusals: Set<Int> = [400, 413, 414, 417, 431, 501, 505]

    static let httpRequest = FuzzTarget(
        name: "http-request", summary: "HTTPRequestHeadParser, then ChunkedBodyDecoder when the head says chunked",
        dictionary: ["\r\n", "\r\n\r\n", ": ", "Transfer-Encoding: chunked\r\n", "Content-Length: 3\r\n",
                     "Content-Length: 18446744073709551616\r\n", "Expect: 100-continue\r\n", "HTTP/1.1", "HTTP/1.0",
                     "ffffffffffffffff", ";ext=1", "Host: a\r\n", "%00", "\t"]
    ) { bytes in
        let whole = try exerciseHTTP(bytes, splits: [], limits: httpLimits)
        let pieces = try exerciseHTTP(bytes, splits: cuts(bytes), limits: httpLimits)
        guard whole == pieces else { throw FuzzFailure("whole input gives \(whole), in pieces \(pieces)") }
        return whole
    }

    static let chunkedBody = FuzzTarget(
        name: "chunked-body", summary: "ChunkedBodyDecoder alone on a body",
        dictionary: ["\r\n", "0\r\n\r\n", ";name=value", "ffffffffffffffff", "Trailer: x\r\n", " ", "\t"]
    ) { bytes in
        let whole = try decodeChunked(bytes, splits: [], limits: httpLimits)
        let pieces = try decodeChunked(bytes, splits: cuts(bytes), limits: httpLimits)
        guard whole == pieces else { throw FuzzFailure("whole body gives \(whole), in pieces \(pieces)") }
        return whole
    }

    /// Cut points that depend only on the input, so a libFuzzer crash reproduces.
    static func cuts(_ bytes: [UInt8]) -> [Int] {
        var cuts: [Int] = []
        var at = 0
        for byte in bytes.prefix(64) {
            at += 1 + Int(byte % 13)
            guard at < bytes.count else { break }
            cuts.append(at)
        }
        return cuts
    }

    /// Runs the head parser on `input` (fed in pieces ending at `splits`) and, when the head says so, the
    /// chunked decoder on what follows.
    static func exerciseHTTP(_ input: [UInt8], splits: [Int], limits: HTTPLimits) throws -> FuzzOutcome {
        var parser = HTTPRequestHeadParser(limits: limits)
        var position = 0
        var cuts = splits.filter { $0 < input.count }.sorted() + [input.count]
        var head: HTTPRequestHead?
        do {
            while head == nil && position < input.count {
                let end = max(cuts.removeFirst(), position)
                let given = end - position
                let result = try input[position..<end].withUnsafeBytes { try parser.parse($0) }
                guard result.consumed <= given else { throw FuzzFailure("parser consumed more than given") }
                if result.head == nil && result.consumed != given { throw FuzzFailure("parser stopped early") }
                position += result.consumed
                head = result.head
                if cuts.isEmpty { break }
            }
            guard let head else { return .incomplete }
            if head.framing == .chunked {
                let rest = Array(input[position...])
                return try decodeChunked(rest, splits: splits.map { $0 - position }.filter { $0 > 0 }, limits: limits)
            }
            return .accepted
        } catch let error as HTTPRequestError {
            return try refusal(error)
        }
    }

    /// Decodes a chunked body fed in pieces ending at `splits`, checking that the decoder never takes
    /// more than it is given, never loops, and hands over exactly the data it declared.
    static func decodeChunked(_ input: [UInt8], splits: [Int], limits: HTTPLimits) throws -> FuzzOutcome {
        var decoder = ChunkedBodyDecoder(limits: limits)
        var ends = splits.filter { $0 > 0 && $0 < input.count }.sorted() + [input.count]
        var position = 0, available = ends.removeFirst(), data: Int64 = 0, steps = 0
        do {
            while true {
                steps += 1
                guard steps <= input.count * 2 + 8 else { throw FuzzFailure("chunked decoder loops") }
                let (consumed, event) = try input[position..<available].withUnsafeBytes { try decoder.advance($0) }
                guard consumed <= available - position else { throw FuzzFailure("decoder consumed more than given") }
                position += consumed
                switch event {
                case .end:
                    guard data == decoder.declaredBytes else {
                        throw FuzzFailure("decoder declared \(decoder.declaredBytes) bytes, handed over \(data)")
                    }
                    return .accepted
                case .needInput:
                    guard position == available else { throw FuzzFailure("decoder wants input with input left") }
                    if ends.isEmpty { return .incomplete }
                    available = ends.removeFirst()
                case .data(let remaining):
                    guard remaining > 0 else { throw FuzzFailure("decoder announced an empty data run") }
                    let n = Int(min(remaining, Int64(available - position)))
                    if n == 0 {
                        if ends.isEmpty { return .incomplete }
                        available = ends.removeFirst()
                        continue
                    }
                    decoder.consumeData(n)
                    position += n
                    data += Int64(n)
                }
            }
        } catch let error as HTTPRequestError {
            return try refusal(error)
        }
    }

    static func refusal(_ error: HTTPRequestError) throws -> FuzzOutcome {
        guard httpRefusals.contains(error.status.code) else { throw FuzzFailure("unexpected status \(error.status)") }
        return .refused(String(error.status.code))
    }
}
