import Foundation

/// Reads one HTTP/1.1 response off a connection: the head, then the body by its framing (RFC 9112 6.3):
/// none, Content-Length, chunked, or until the server closes. Bounded: a head line of at most 16 KiB, at most
/// 100 header fields.
struct HTTPResponseReader {
    static let maxLine = 16 << 10
    static let maxFields = 100

    private let connection: HTTPClientConnection
    private var buffer = [UInt8](repeating: 0, count: 64 << 10)
    private var start = 0
    private var end = 0
    /// Bytes received so far: 0 means the server sent nothing at all.
    private(set) var received = 0
    /// HTTP/1.1 keeps a connection open unless told otherwise; HTTP/1.0 closes it unless told otherwise.
    private var persistentByDefault = true

    init(_ connection: HTTPClientConnection) { self.connection = connection }

    /// The status and header fields. `.closed` if the connection ends before the first byte.
    mutating func readHead() throws -> (status: Int, fields: [(name: String, value: String)]) {
        var statusLine = try readLine()
        var blank = 0
        while statusLine.isEmpty {  // RFC 9112 2.2: tolerate a few leading blank lines
            blank += 1
            guard blank <= 8 else { throw HTTPClientError.malformed("blank lines instead of a status line") }
            statusLine = try readLine()
        }
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let status = Int(parts[1]),
              (100...599).contains(status) else {
            throw HTTPClientError.malformed("status line \(String(statusLine.prefix(80)).debugDescription)")
        }
        persistentByDefault = parts[0] != "HTTP/1.0"
        var fields: [(name: String, value: String)] = []
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            guard fields.count < Self.maxFields, let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
                throw HTTPClientError.malformed("header line \(String(line.prefix(80)).debugDescription)")
            }
            fields.append((String(line[..<colon]).lowercased(),
                           line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        return (status, fields)
    }

    /// Whether the connection may carry another request after this response (RFC 9112 9.3).
    func keepsAlive(_ response: HTTPClientResponse) -> Bool {
        let tokens = response.fields.filter { $0.name == "connection" }
            .flatMap { $0.value.lowercased().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        if tokens.contains("close") { return false }
        return persistentByDefault || tokens.contains("keep-alive")
    }

    /// Hands the body to `sink` piece by piece. Returns whether the connection may carry another request.
    mutating func readBody(_ framing: HTTPClient.Framing,
                           _ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Bool {
        switch framing {
        case .none:
            return true
        case .length(let length):
            try copy(length, sink)
            return true
        case .chunked:
            while true {
                let sizeLine = try readLine()
                let hex = sizeLine.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
                guard let size = Int(hex.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else {
                    throw HTTPClientError.malformed("chunk size \(String(sizeLine.prefix(40)).debugDescription)")
                }
                if size == 0 { break }
                try copy(size, sink)
                guard try readLine().isEmpty else { throw HTTPClientError.malformed("chunk without its CRLF") }
            }
            while try !readLine().isEmpty {}  // trailer fields, ignored
            return true
        case .untilClose:
            while true {
                if start == end, try fill() == 0 { return false }
                try buffer[start..<end].withUnsafeBytes { try sink($0) }
                start = end
            }
        }
    }

    /// Passes exactly `count` bytes to `sink`.
    private mutating func copy(_ count: Int, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var left = count
        while left > 0 {
            if start == end, try fill() == 0 { throw HTTPClientError.closed("\(left) bytes of the body missing") }
            let n = min(left, end - start)
            try buffer[start..<(start + n)].withUnsafeBytes { try sink($0) }
            start += n
            left -= n
        }
    }

    /// One line without its CRLF (a bare LF is accepted).
    private mutating func readLine() throws -> String {
        var scanned = 0  // bytes after `start` known to hold no LF; `fill` may move `start`
        while true {
            if let newline = buffer[(start + scanned)..<end].firstIndex(of: UInt8(ascii: "\n")) {
                var last = newline
                if last > start && buffer[last - 1] == UInt8(ascii: "\r") { last -= 1 }
                let line = String(decoding: buffer[start..<last], as: UTF8.self)
                start = newline + 1
                return line
            }
            scanned = end - start
            guard end - start < Self.maxLine else { throw HTTPClientError.malformed("a line longer than \(Self.maxLine) bytes") }
            if try fill() == 0 { throw HTTPClientError.closed(start == end ? "before the response" : "inside the response head") }
        }
    }

    /// Reads more bytes after those buffered, moving them to the front first; 0 at the end of the stream.
    private mutating func fill() throws -> Int {
        if start > 0 {
            buffer.replaceSubrange(0..<(end - start), with: buffer[start..<end])
            end -= start
            start = 0
        }
        let n = try buffer.withUnsafeMutableBytes { raw -> Int in
            try connection.receive(into: UnsafeMutableRawBufferPointer(rebasing: raw[end...]))
        }
        end += n
        received += n
        return n
    }
}
