@preconcurrency import Glibc
import HTTPServer
import TestSupport
import XCTest

/// A value shared between a handler thread and the test, behind a lock.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func get() -> Value { lock.withLock { value } }
    func set(_ newValue: Value) { lock.withLock { value = newValue } }
    func mutate<T>(_ body: (inout Value) -> T) -> T { lock.withLock { body(&value) } }
}

/// Collects request records for assertions.
final class RecordingObserver: HTTPServerObserver {
    let records = Locked<[HTTPRequestRecord]>([])
    let rejections = Locked(0)

    func requestCompleted(_ record: HTTPRequestRecord) { records.mutate { $0.append(record) } }
    func connectionRejected() { rejections.mutate { $0 += 1 } }
}

/// A server on an ephemeral loopback port, stopped when the test ends.
final class LiveServer {
    let server: HTTPServer
    let port: UInt16
    let observer = RecordingObserver()

    init(_ configuration: HTTPServerConfiguration = HTTPServerConfiguration(),
         handler: @escaping HTTPClosureHandler.Closure) throws {
        server = HTTPServer(configuration: configuration, handler: HTTPClosureHandler(handler), observer: observer)
        port = try server.start()
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    func stop() {
        server.shutdown(gracePeriod: 0.2)
        XCTAssertTrue(server.waitUntilStopped(timeout: 10), "server did not stop")
    }
}

/// Waits until `condition` holds, polling; fails the test after `timeout` seconds.
func eventually(timeout: Double = 5, file: StaticString = #filePath, line: UInt = #line, _ condition: () -> Bool) {
    let limit = Date(timeIntervalSinceNow: timeout)
    while !condition() {
        if Date() > limit {
            XCTFail("condition not met within \(timeout) s", file: file, line: line)
            return
        }
        usleep(10_000)
    }
}

/// A plain TCP client for sending exactly the bytes a test wants, malformed ones included.
/// Unchecked Sendable: a test may send from one thread while it reads on another.
final class RawClient: @unchecked Sendable {
    let fd: Int32

    init(port: UInt16, receiveTimeout: Double = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            let code = errno
            close(fd)
            throw NSError(domain: "connect", code: Int(code))
        }
        let micros = Int(receiveTimeout.truncatingRemainder(dividingBy: 1) * 1e6)
        var tv = timeval(tv_sec: Int(receiveTimeout), tv_usec: micros)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return }
            offset += n
        }
    }

    /// Everything until the server closes (or the receive timeout); `closed` says which happened.
    func readToEnd() -> (bytes: [UInt8], closed: Bool) {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                result += buffer[..<n]
            } else {
                return (result, n == 0 || errno == ECONNRESET)
            }
        }
    }

    private var pending: [UInt8] = []

    /// Reads one response with a Content-Length body (or none); nil if the connection ended first.
    func readResponse() -> RawResponse? {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if let response = RawResponse.parse(&pending) { return response }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return nil }
            pending += buffer[..<n]
        }
    }
}

/// A response as read off the wire by `RawClient`.
struct RawResponse {
    let status: Int
    let headers: [String: String]
    let body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }

    /// Takes one complete response from the front of `buffer`, if there is one.
    static func parse(_ buffer: inout [UInt8]) -> RawResponse? {
        let end = Array("\r\n\r\n".utf8)
        guard let headEnd = (0..<max(0, buffer.count - 3)).first(where: { Array(buffer[$0..<$0 + 4]) == end }) else {
            return nil
        }
        let lines = String(decoding: buffer[..<headEnd], as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(lines[0].split(separator: " ")[1]) ?? 0
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[line[..<colon].lowercased()] = value
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        guard buffer.count >= headEnd + 4 + length else { return nil }
        let body = Array(buffer[(headEnd + 4)..<(headEnd + 4 + length)])
        buffer.removeFirst(headEnd + 4 + length)
        return RawResponse(status: status, headers: headers, body: body)
    }
}

/// FNV-1a 64: a cheap streaming hash to compare what a handler read with what was sent.
struct FNV1a {
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var hash = value
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3
        }
        value = hash
    }

    static func hash(_ bytes: [UInt8]) -> UInt64 {
        var h = FNV1a()
        bytes.withUnsafeBytes { h.update($0) }
        return h.value
    }
}

/// Runs curl; fails the test if curl is missing.
func curl(_ arguments: [String]) throws -> ProcessResult {
    let path = try XCTUnwrap(which("curl"), "curl is needed for live HTTP tests")
    return try runProcess(path, ["--silent", "--show-error", "--max-time", "20"] + arguments)
}

/// Deterministic pseudo-random bytes for request bodies.
func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var generator = SplitMix64(state: seed)
    var bytes = [UInt8](repeating: 0, count: count)
    bytes.withUnsafeMutableBytes { raw in
        let words = raw.bindMemory(to: UInt64.self)
        for i in words.indices { words[i] = generator.next() }
    }
    return bytes
}
