/// Where an `HTTPBody` gets its bytes: the connection's decoder, or memory in tests.
protocol HTTPBodySource: AnyObject {
    /// Fills at most `buffer.count` bytes; 0 means the body ended.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// A request body, read as a stream so that no layer holds a whole upload in memory.
///
/// Reading the first byte is what sends `100 Continue` to a client that asked for it, so a handler
/// that answers early (e.g. 401) without reading never receives the body. Reads after an error
/// rethrow it. Not thread-safe: read it on the thread that called the handler.
public final class HTTPBody {
    private let source: HTTPBodySource?
    private var failure: Error?

    /// The length the client declared with Content-Length, nil for chunked or absent bodies.
    public let declaredLength: Int64?
    /// Body bytes delivered to the handler so far.
    public private(set) var bytesRead: Int64 = 0
    /// Whether the end of the body was reached.
    public private(set) var isComplete: Bool

    init(source: HTTPBodySource?, declaredLength: Int64?) {
        self.source = source
        self.declaredLength = declaredLength
        self.isComplete = source == nil
    }

    /// A body that serves `bytes` from memory, for testing handlers without a server.
    public convenience init(bytes: [UInt8]) {
        self.init(source: MemoryBodySource(bytes), declaredLength: Int64(bytes.count))
    }

    /// A body with no bytes.
    public static func empty() -> HTTPBody { HTTPBody(source: nil, declaredLength: nil) }

    /// Reads up to `buffer.count` bytes into `buffer`; returns 0 only at the end of the body.
    /// Throws `HTTPRequestError` (400 malformed chunking, 408 body read timeout or too slow a pace, 413 too
    /// large) or a `SystemError` if the connection fails.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let failure { throw failure }
        guard let source, !isComplete, buffer.count > 0 else { return 0 }
        do {
            let n = try source.read(into: buffer)
            if n == 0 { isComplete = true }
            bytesRead += Int64(n)
            return n
        } catch {
            failure = error
            throw error
        }
    }

    /// Reads the rest of the body into memory, refusing with 413 if it is longer than `limit` bytes.
    /// For small bodies only (JSON, forms); stream uploads with `read(into:)`.
    public func readAll(limit: Int) throws -> [UInt8] {
        if let declaredLength, declaredLength > Int64(limit) {
            throw HTTPRequestError(.contentTooLarge, "body of \(declaredLength) bytes exceeds \(limit)")
        }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try read(into: $0) }
            if n == 0 { return result }
            guard result.count + n <= limit else {
                throw HTTPRequestError(.contentTooLarge, "body exceeds \(limit) bytes")
            }
            result.append(contentsOf: chunk[..<n])
        }
    }

    /// Reads and discards the rest of the body; returns the number of bytes discarded.
    @discardableResult
    public func discardAll() throws -> Int64 {
        var total: Int64 = 0
        try withUnsafeTemporaryAllocation(byteCount: 16 * 1024, alignment: 1) { buffer in
            while true {
                let n = try read(into: buffer)
                if n == 0 { return }
                total += Int64(n)
            }
        }
        return total
    }
}

final class MemoryBodySource: HTTPBodySource {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - offset)
        bytes.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<offset + n]))
        }
        offset += n
        return n
    }
}
