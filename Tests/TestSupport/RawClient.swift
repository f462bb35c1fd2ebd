#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import XCTest

/// A plain TCP client for sending exactly the bytes a test wants, malformed ones included.
/// Unchecked Sendable: a test may send from one thread while it reads on another.
public final class RawClient: @unchecked Sendable {
    public let fd: Int32

    /// Connects to 127.0.0.1:`port`, from `source` if given (any 127.x.y.z address is this machine's).
    public init(port: UInt16, receiveTimeout: Double = 5, from source: String? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        do {
            if let source { try Self.at(source, 0, "bind") { bind(fd, $0, $1) } }
            try Self.at("127.0.0.1", port, "connect") { connect(fd, $0, $1) }
        } catch {
            close(fd)
            throw error
        }
        let micros = Int(receiveTimeout.truncatingRemainder(dividingBy: 1) * 1e6)
        var tv = timeval(tv_sec: Int(receiveTimeout), tv_usec: micros)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Calls `call` (bind, connect) with the IPv4 address `ip`:`port`; throws its errno.
    private static func at(_ ip: String, _ port: UInt16, _ name: String,
                           _ call: (UnsafePointer<sockaddr>, socklen_t) -> Int32) throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr(ip)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { call($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw NSError(domain: name, code: Int(errno)) }
    }

    public func send(_ text: String) { send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return }
            offset += n
        }
    }

    /// Everything until the server closes (or the receive timeout); `closed` says which happened.
    public func readToEnd() -> (bytes: [UInt8], closed: Bool) {
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
    public func readResponse() -> RawResponse? {
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
public struct RawResponse {
    public let status: Int
    public let headers: [String: String]
    public let body: [UInt8]

    public var text: String { String(decoding: body, as: UTF8.self) }

    /// Takes one complete response from the front of `buffer`, if there is one.
    public static func parse(_ buffer: inout [UInt8]) -> RawResponse? {
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

