/// An incremental decoder of the chunked transfer coding (RFC 9112 section 7.1), independent of sockets.
///
/// It parses framing only (chunk-size lines, extensions, CRLFs, trailers) and leaves the chunk data to
/// the caller, so data can be copied straight from a socket into the reader's buffer. Extensions are
/// ignored; trailers are read, limited and discarded.
public struct ChunkedBodyDecoder: Sendable {
    /// What the caller should do next.
    public enum Event: Sendable, Equatable {
        /// Feed more bytes.
        case needInput
        /// The next `remaining` bytes of input are chunk data: take some and call `consumeData`.
        case data(remaining: Int64)
        /// The body and its trailers are complete; bytes after them belong to the next request.
        case end
    }

    private enum State: Sendable {
        case size, sizeWhitespace, extensions, sizeLF, data, dataCR, dataLF, trailer, trailerLF, done
    }

    /// Line, trailer and body-size limits.
    public let limits: HTTPLimits
    private var state = State.size
    private var chunkSize: Int64 = 0
    private var sizeDigits = 0
    private var lineLength = 0
    private var remaining: Int64 = 0
    private var trailerBytes = 0
    private var trailerCount = 0
    private var trailerLineHasColon = false
    /// Sum of all declared chunk sizes so far.
    public private(set) var declaredBytes: Int64 = 0

    /// A decoder positioned before the first chunk-size line.
    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
    }

    /// Whether the terminating chunk and trailers have been consumed.
    public var isComplete: Bool { state == .done }

    /// Consumes framing bytes from `input`, stopping at chunk data, at the end, or when input runs out.
    public mutating func advance(_ input: UnsafeRawBufferPointer) throws -> (consumed: Int, event: Event) {
        var index = 0
        while true {
            switch state {
            case .data: return (index, .data(remaining: remaining))
            case .done: return (index, .end)
            default: break
            }
            guard index < input.count else { return (index, .needInput) }
            try step(input[index])
            index += 1
        }
    }

    /// Records that the caller took `count` bytes of chunk data (at most the remaining amount).
    public mutating func consumeData(_ count: Int) {
        precondition(state == .data && Int64(count) <= remaining, "consumed more chunk data than announced")
        remaining -= Int64(count)
        if remaining == 0 { state = .dataCR }
    }

    private mutating func step(_ byte: UInt8) throws {
        switch state {
        case .size:
            try countLineByte()
            if let digit = HTTPRequestHead.hexValue(byte) {
                // 15 hex digits fit Int64 without overflow; nobody sends a chunk of 2^60 bytes.
                guard sizeDigits < 15 else { throw HTTPRequestError(.badRequest, "chunk size too large") }
                chunkSize = chunkSize << 4 | Int64(digit)
                sizeDigits += 1
            } else if sizeDigits > 0 && byte == UInt8(ascii: ";") {
                state = .extensions
            } else if sizeDigits > 0 && (byte == ByteClass.space || byte == ByteClass.tab) {
                state = .sizeWhitespace
            } else if sizeDigits > 0 && byte == ByteClass.cr {
                state = .sizeLF
            } else {
                throw HTTPRequestError(.badRequest, "invalid chunk size")
            }
        case .sizeWhitespace:
            // RFC 9112 section 7.1.1: only BWS, then `;` and an extension, or the end of the line.
            try countLineByte()
            if byte == UInt8(ascii: ";") {
                state = .extensions
            } else if byte == ByteClass.cr {
                state = .sizeLF
            } else if byte != ByteClass.space && byte != ByteClass.tab {
                throw HTTPRequestError(.badRequest, "invalid chunk size")
            }
        case .extensions:
            try countLineByte()
            if byte == ByteClass.cr {
                state = .sizeLF
            } else if !ByteClass.isFieldValue(byte) {
                throw HTTPRequestError(.badRequest, "control character in chunk extension")
            }
        case .sizeLF:
            guard byte == ByteClass.lf else { throw HTTPRequestError(.badRequest, "bare CR in chunk size line") }
            try startChunk()
        case .dataCR:
            guard byte == ByteClass.cr else { throw HTTPRequestError(.badRequest, "chunk data longer than its size") }
            state = .dataLF
        case .dataLF:
            guard byte == ByteClass.lf else { throw HTTPRequestError(.badRequest, "missing CRLF after chunk data") }
            state = .size
        case .trailer:
            try stepTrailer(byte)
        case .trailerLF:
            guard byte == ByteClass.lf else { throw HTTPRequestError(.badRequest, "bare CR in trailer") }
            try countTrailerByte()
            if lineLength == 0 {
                state = .done
                return
            }
            guard trailerLineHasColon else { throw HTTPRequestError(.badRequest, "trailer line without colon") }
            trailerCount += 1
            guard trailerCount <= limits.maxHeaderCount else {
                throw HTTPRequestError(.headerFieldsTooLarge, "more than \(limits.maxHeaderCount) trailer fields")
            }
            lineLength = 0
            trailerLineHasColon = false
            state = .trailer
        case .data, .done:
            preconditionFailure("advance handles data and done")
        }
    }

    private mutating func startChunk() throws {
        let (total, overflow) = declaredBytes.addingReportingOverflow(chunkSize)
        guard !overflow, total <= limits.maxBodyBytes else {
            throw HTTPRequestError(.contentTooLarge, "chunked body exceeds \(limits.maxBodyBytes) bytes")
        }
        declaredBytes = total
        lineLength = 0
        if chunkSize == 0 {
            state = .trailer
        } else {
            remaining = chunkSize
            state = .data
        }
        chunkSize = 0
        sizeDigits = 0
    }

    private mutating func stepTrailer(_ byte: UInt8) throws {
        try countTrailerByte()
        if byte == ByteClass.cr {
            state = .trailerLF
            return
        }
        if lineLength == 0 && (byte == ByteClass.space || byte == ByteClass.tab) {
            throw HTTPRequestError(.badRequest, "obsolete line folding in trailer")
        }
        guard ByteClass.isFieldValue(byte) else { throw HTTPRequestError(.badRequest, "control character in trailer") }
        if byte == ByteClass.colon { trailerLineHasColon = true }
        lineLength += 1
        guard lineLength <= limits.maxLineLength else {
            throw HTTPRequestError(.headerFieldsTooLarge, "trailer line exceeds \(limits.maxLineLength) bytes")
        }
    }

    private mutating func countLineByte() throws {
        lineLength += 1
        // The CR ending the line is counted too, hence the + 1.
        guard lineLength <= limits.maxLineLength + 1 else {
            throw HTTPRequestError(.badRequest, "chunk size line exceeds \(limits.maxLineLength) bytes")
        }
    }

    private mutating func countTrailerByte() throws {
        trailerBytes += 1
        guard trailerBytes <= limits.maxHeadBytes else {
            throw HTTPRequestError(.headerFieldsTooLarge, "trailer section exceeds \(limits.maxHeadBytes) bytes")
        }
    }
}
