@preconcurrency import Glibc
import POSIX

/// Serializes responses onto a connection: head, then bytes or a file region through a fixed buffer.
struct ResponseWriter {
    let socket: ConnectionSocket
    /// Each send must make progress within this many seconds (a client that stops reading is dropped).
    let writeTimeout: Double
    static let fileBufferSize = 256 * 1024

    enum Failure: Error {
        /// The file region could not be opened or sized; nothing was written.
        case fileUnavailable(SystemError)
    }

    /// Writes `response`; a HEAD request gets the head only. Returns the bytes written.
    func write(_ response: HTTPResponse, headOnly: Bool, keepAlive: Bool) throws -> Int64 {
        var bodySent: Int64 = 0
        return try write(response, headOnly: headOnly, keepAlive: keepAlive, bodySent: &bodySent)
    }

    /// `write`, counting in `bodySent` the body bytes sent, also when it fails part way.
    func write(_ response: HTTPResponse, headOnly: Bool, keepAlive: Bool, bodySent: inout Int64) throws -> Int64 {
        var file: OpenFile?
        defer { file?.close() }
        var length: Int64 = 0
        var bodyBytes: [UInt8] = []
        var producer: HTTPBodyProducer?
        switch response.body {
        case .empty: break
        case .bytes(let bytes):
            bodyBytes = bytes
            length = Int64(bytes.count)
        case .file(let region):
            let opened: OpenFile
            do {
                opened = try OpenFile(region)
            } catch let error as SystemError {
                throw Failure.fileUnavailable(error)
            }
            file = opened
            length = opened.length
        case .stream(let declared, let produce):
            producer = produce
            length = declared
        }
        let sendsBody = !headOnly && !response.status.forbidsBody
        var out = Self.head(response, contentLength: response.status.forbidsBody ? nil : length, keepAlive: keepAlive)
        var inHead = 0
        if sendsBody && !bodyBytes.isEmpty && bodyBytes.count <= 64 * 1024 {
            out += bodyBytes  // one send for small responses
            inHead = bodyBytes.count
            bodyBytes = []
        }
        try socket.send(out, until: .after(writeTimeout))
        var written = Int64(out.count)
        bodySent += Int64(inHead)
        guard sendsBody else { return written }
        if !bodyBytes.isEmpty {
            try socket.send(bodyBytes, until: .after(writeTimeout))
            written += Int64(bodyBytes.count)
            bodySent += Int64(bodyBytes.count)
        }
        if let file {
            let before = bodySent
            try stream(file, sent: &bodySent)
            written += bodySent - before
        }
        if let producer {
            let before = bodySent
            try produce(producer, length: length, sent: &bodySent)
            written += bodySent - before
        }
        return written
    }

    /// Sends the file region, adding to `total` as each piece goes out.
    private func stream(_ file: OpenFile, sent total: inout Int64) throws {
        var sent: Int64 = 0
        try withUnsafeTemporaryAllocation(byteCount: Self.fileBufferSize, alignment: 16) { buffer in
            while sent < file.length {
                let want = Int(min(Int64(buffer.count), file.length - sent))
                let n = try systemCall("pread", "reading a response file") {
                    pread(file.fd, buffer.baseAddress, want, off_t(file.offset + sent))
                }
                // The file shrank under us; the Content-Length promise cannot be kept: drop the connection.
                guard n > 0 else { throw SystemError(call: "pread", errno: EIO, context: "file ended early") }
                try socket.send(UnsafeRawBufferPointer(rebasing: buffer[..<n]), until: .after(writeTimeout),
                                sent: &total)
                sent += Int64(n)
            }
        }
    }

    /// Lets `producer` write the body, refusing a byte past `length` and a body that ends short of it
    /// (either drops the connection: the Content-Length promise cannot be kept).
    private func produce(_ producer: HTTPBodyProducer, length: Int64, sent total: inout Int64) throws {
        var count: Int64 = 0
        var failure: (any Error)?
        let stream = HTTPBodyStream { [socket, writeTimeout] bytes in
            guard count + Int64(bytes.count) <= length else {
                throw SystemError(call: "send", errno: EIO, context: "a streamed body went past its length")
            }
            var sent: Int64 = 0
            defer { count += sent }
            try socket.send(bytes, until: .after(writeTimeout), sent: &sent)
        }
        do { try producer(stream) } catch { failure = error }
        total += count
        if let failure { throw failure }
        guard count == length else {
            throw SystemError(call: "send", errno: EIO, context: "a streamed body ended short of its length")
        }
    }

    /// The status line and headers, with the server's own framing headers.
    static func head(_ response: HTTPResponse, contentLength: Int64?, keepAlive: Bool) -> [UInt8] {
        var text = "HTTP/1.1 \(response.status.code) \(response.status.reasonPhrase)\r\n"
        for field in response.headers {
            switch field.name.lowercased() {
            case "content-length", "transfer-encoding", "date", "connection": continue
            default: break
            }
            // A handler bug must not become header injection.
            guard !field.name.utf8.contains(where: { !ByteClass.isToken($0) }),
                  !field.value.utf8.contains(where: { $0 == ByteClass.cr || $0 == ByteClass.lf || $0 == 0 })
            else { continue }
            text += "\(field.name): \(field.value)\r\n"
        }
        text += "Date: \(httpDate())\r\n"
        if let contentLength { text += "Content-Length: \(contentLength)\r\n" }
        text += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n"
        return Array(text.utf8)
    }

    /// IMF-fixdate (RFC 9110 section 5.6.7), e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
    static func httpDate(_ seconds: time_t = time(nil)) -> String {
        var t = seconds
        var parts = tm()
        gmtime_r(&t, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let day = "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)])"
        return day + " \(parts.tm_year + 1900) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}

/// A file region opened for sending, with its length resolved.
final class OpenFile {
    let fd: Int32
    let offset: Int64
    let length: Int64
    private let owned: Bool

    init(_ region: HTTPFileRegion) throws {
        let fd: Int32
        switch region.source {
        case .path(let path):
            fd = try systemCall("open", "opening \(path) for a response") { open(path, O_RDONLY | O_CLOEXEC) }
            owned = true
        case .descriptor(let descriptor, let closeWhenDone):
            fd = descriptor
            owned = closeWhenDone
        }
        self.fd = fd
        var info = stat()
        do {
            try systemCall("fstat", "sizing a response file") { fstat(fd, &info) }
        } catch {
            if owned { Glibc.close(fd) }
            throw error
        }
        let size = Int64(info.st_size)
        offset = region.offset
        length = region.length ?? max(0, size - region.offset)
        guard offset >= 0, length >= 0, offset + length <= size else {
            if owned { Glibc.close(fd) }
            throw SystemError(call: "fstat", errno: EINVAL, context: "file region past the end of the file")
        }
    }

    func close() {
        if owned { Glibc.close(fd) }
    }
}
