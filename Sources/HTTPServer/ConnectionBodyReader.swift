/// Bytes received on a connection but not yet consumed: the rest of a head, body bytes that arrived
/// with it, or the start of a pipelined next request.
final class InputBuffer {
    private let storage: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0

    init(capacity: Int) {
        storage = .allocate(byteCount: capacity, alignment: 1)
    }

    deinit { storage.deallocate() }

    var readable: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: storage[start..<end]) }
    var isEmpty: Bool { start == end }

    func consume(_ count: Int) {
        start += count
        if start == end { start = 0; end = 0 }
    }

    /// Appends bytes received elsewhere (by the reactor, past a request head).
    func append(_ bytes: [UInt8]) {
        precondition(bytes.count <= storage.count - end, "input buffer full")
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeBytes { (storage.baseAddress! + end).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        end += bytes.count
    }

    /// Moves `count` readable bytes into `destination` (at most what is readable) and returns how many.
    func take(into destination: UnsafeMutableRawBufferPointer, max count: Int) -> Int {
        let n = min(count, destination.count, end - start)
        destination.baseAddress!.copyMemory(from: storage.baseAddress! + start, byteCount: n)
        consume(n)
        return n
    }

    /// Receives more bytes after the readable ones with `receive`; returns 0 at end of stream.
    func fill(_ receive: (UnsafeMutableRawBufferPointer) throws -> Int) throws -> Int {
        if end == storage.count && start > 0 {
            let count = end - start
            storage.baseAddress!.copyMemory(from: storage.baseAddress! + start, byteCount: count)
            start = 0
            end = count
        }
        precondition(end < storage.count, "input buffer full")
        let n = try receive(UnsafeMutableRawBufferPointer(rebasing: storage[end...]))
        end += n
        return n
    }
}

/// Decodes one request body from a connection, Content-Length or chunked, for `HTTPBody`.
///
/// Data is copied from the input buffer when some arrived with the head; otherwise it is received
/// straight into the reader's buffer, never past the end of the body, so the next pipelined request
/// stays in the socket or the input buffer.
final class ConnectionBodyReader: HTTPBodySource {
    private let socket: ConnectionSocket
    private let input: InputBuffer
    private var timeout: Double
    private var pace: BodyPace
    private var remaining: Int64
    private var chunked: ChunkedBodyDecoder?
    private var needsContinue: Bool
    /// Whether `100 Continue` went out (a client that was told to wait may not send the body otherwise).
    private(set) var sentContinue = false
    private(set) var isFinished: Bool
    private(set) var failed = false
    /// While draining, no read waits past this, however steadily the client trickles bytes.
    private var cutoff: Deadline?
    /// How long draining an unread body may take in all.
    static let drainSeconds = 5.0

    init(head: HTTPRequestHead, socket: ConnectionSocket, input: InputBuffer, limits: HTTPLimits, timeout: Double,
         pace: BodyPace) {
        self.socket = socket
        self.input = input
        self.timeout = timeout
        self.pace = pace
        switch head.framing {
        case .none: remaining = 0
        case .contentLength(let length): remaining = length
        case .chunked:
            remaining = 0
            chunked = ChunkedBodyDecoder(limits: limits)
        }
        isFinished = chunked == nil && remaining == 0
        needsContinue = head.expectsContinue && !isFinished
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !isFinished else { return 0 }
        do {
            if needsContinue {
                needsContinue = false
                try socket.send(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8), until: readDeadline(from: .now))
                sentContinue = true
            }
            return try chunked == nil ? readFixed(into: buffer) : readChunked(into: buffer)
        } catch WaitError.timedOut {
            failed = true
            throw HTTPRequestError(.requestTimeout, "no body bytes for \(timeout) s")
        } catch {
            failed = true
            throw error
        }
    }

    private func readFixed(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let wanted = Int(min(remaining, Int64(buffer.count)))
        let n = try copyData(into: buffer, max: wanted)
        remaining -= Int64(n)
        if remaining == 0 { isFinished = true }
        return n
    }

    private func readChunked(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let (consumed, event) = try chunked!.advance(input.readable)
            input.consume(consumed)
            switch event {
            case .needInput:
                guard try input.fill({ try receive(into: $0) }) > 0 else { throw truncated() }
            case .data(let left):
                let n = try copyData(into: buffer, max: Int(min(left, Int64(buffer.count))))
                chunked!.consumeData(n)
                return n
            case .end:
                isFinished = true
                return 0
            }
        }
    }

    /// Up to `max` body bytes, from the input buffer if it holds any, else from the socket.
    private func copyData(into buffer: UnsafeMutableRawBufferPointer, max: Int) throws -> Int {
        if !input.isEmpty { return input.take(into: buffer, max: max) }
        let n = try receive(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<max]))
        guard n > 0 else { throw truncated() }
        return n
    }

    /// Receives from the socket, waiting no longer than the read timeout and the pace allow; a read that
    /// misses the pace throws its 408, one that misses the read timeout `WaitError.timedOut`.
    private func receive(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let start = Deadline.now
        var deadline = readDeadline(from: start)
        if let allowance = pace.allowance {
            deadline = min(deadline, Deadline(nanoseconds: start.nanoseconds + allowance))
        }
        do {
            let n = try socket.receive(into: buffer, until: deadline)
            try pace.record(n, waited: Deadline.now.nanoseconds - start.nanoseconds)
            return n
        } catch WaitError.timedOut {
            try pace.record(0, waited: Deadline.now.nanoseconds - start.nanoseconds)
            throw WaitError.timedOut
        }
    }

    private func truncated() -> HTTPRequestError {
        HTTPRequestError(.badRequest, "connection closed before the end of the body")
    }

    /// Until when one read starting at `start` may wait: `timeout` from then, but never past the cutoff.
    private func readDeadline(from start: Deadline) -> Deadline {
        let next = Deadline(nanoseconds: start.nanoseconds + UInt64(max(0, timeout) * 1e9))
        return cutoff.map { min($0, next) } ?? next
    }

    /// Bytes still expected for a Content-Length body (nil for chunked: unknown until read).
    var remainingDeclaredBytes: Int64? { chunked == nil ? remaining : nil }

    /// Reads and discards up to `limit` remaining body bytes so the connection can be reused; returns
    /// whether the body is now complete.
    func drain(limit: Int) -> Bool {
        // The response is waiting: a client that stalls here is not worth the full body timeout, and
        // one that trickles a byte now and then must not hold its connection slot for long either.
        timeout = min(timeout, 2)
        cutoff = .after(Self.drainSeconds)
        var discarded = 0
        withUnsafeTemporaryAllocation(byteCount: 16 * 1024, alignment: 1) { scratch in
            while !isFinished && !failed && discarded < limit {
                let slice = UnsafeMutableRawBufferPointer(rebasing: scratch[..<min(scratch.count, limit - discarded)])
                guard let n = try? read(into: slice) else { return }
                discarded += n
            }
        }
        return isFinished
    }
}
