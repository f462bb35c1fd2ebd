@preconcurrency import Glibc
import Foundation

/// A stand-in S3 on loopback that answers from a script, one step per request: a status with a body, or a
/// connection dropped right after the request arrived, or silence, or an answer sent a byte at a time, or an
/// answer sent before the request's body was read. For what moto does not do on demand (503, SlowDown,
/// resets). Except for `early`, it reads each request whole (head and Content-Length body) before answering.
final class FaultyS3: @unchecked Sendable {
    /// `closing`: an answer with `Connection: close`, the connection closed after it. `drip`: the answer one
    /// byte every `every` seconds. `early`: the answer (with `Connection: close`) as soon as the request's head
    /// has arrived, and the connection closed without reading the body, as S3 does when it refuses a PUT.
    enum Step { case answer(Int, String), closing(Int, String), drop, hang, drip(every: Double, Int, String),
                     early(Int, String) }

    let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var script: [Step]
    /// Each request's first line, and its whole head.
    private(set) var requests: [String] = []
    private(set) var heads: [String] = []

    /// Listens on 127.0.0.1, or on ::1 when `ipv6`.
    init(_ script: [Step], ipv6: Bool = false) throws {
        self.script = script
        (listener, port) = try Self.listen(ipv6: ipv6)
        let listener = self.listener
        Thread.detachNewThread { [weak self, listener] in
            while true {
                let fd = accept(listener, nil, nil)
                guard fd >= 0 else { return }  // closed by deinit
                guard let self else { close(fd); return }
                Thread.detachNewThread { self.connection(fd) }
            }
        }
    }

    /// A socket listening on a free port of 127.0.0.1 (or ::1), and the port.
    static func listen(ipv6: Bool = false) throws -> (Int32, Int) {
        let listener = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var port: UInt16 = 0
        var bound = false
        if ipv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_addr = in6addr_loopback
            bound = withSocketAddress(&address) { bind(listener, $0, $1) == 0 && Glibc.listen(listener, 64) == 0
                && getsockname(listener, $0, &$1) == 0 }
            port = address.sin6_port
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            bound = withSocketAddress(&address) { bind(listener, $0, $1) == 0 && Glibc.listen(listener, 64) == 0
                && getsockname(listener, $0, &$1) == 0 }
            port = address.sin_port
        }
        guard bound else {
            let code = errno
            close(listener)
            throw NSError(domain: "loopback listener: \(String(cString: strerror(code)))", code: Int(code))
        }
        return (listener, Int(UInt16(bigEndian: port)))
    }

    private static func withSocketAddress<A>(_ address: inout A,
                                             _ body: (UnsafeMutablePointer<sockaddr>, inout socklen_t) -> Bool) -> Bool {
        var length = socklen_t(MemoryLayout<A>.size)
        return withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, &length) }
        }
    }

    deinit { shutdown(listener, Int32(SHUT_RDWR)); close(listener) }

    var requestCount: Int { lock.withLock { requests.count } }

    private func connection(_ fd: Int32) {
        defer { close(fd) }
        var pending = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            guard let (head, length) = Self.head(from: &pending, reading: fd, &buffer) else { return }
            let step: Step = lock.withLock {
                requests.append(String(head.split(separator: "\r\n").first ?? ""))
                heads.append(head)
                return script.isEmpty ? .answer(200, "") : script.removeFirst()
            }
            if case .early(let status, let body) = step {
                Self.send(fd, Self.answer(status, body, closing: true))
                return
            }
            guard Self.skip(length, from: &pending, reading: fd, &buffer) else { return }
            switch step {
            case .drop:
                return
            case .hang:  // say nothing until the client gives up and closes
                while recv(fd, &buffer, buffer.count, 0) > 0 {}
                return
            case .drip(let every, let status, let body):
                for byte in Self.answer(status, body, closing: false) {
                    Thread.sleep(forTimeInterval: every)
                    guard Self.send(fd, [byte]) else { return }  // the client gave up
                }
            case .answer(let status, let body), .closing(let status, let body):
                let closing = if case .closing = step { true } else { false }
                Self.send(fd, Self.answer(status, body, closing: closing))
                if closing { return }
            case .early:
                return
            }
        }
    }

    private static func answer(_ status: Int, _ body: String, closing: Bool) -> [UInt8] {
        Array(("HTTP/1.1 \(status) X\r\n\(closing ? "Connection: close\r\n" : "")"
            + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)").utf8)
    }

    @discardableResult
    private static func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) == $0.count }
    }

    /// The next request's head (without its blank line) and its Content-Length; nil when the client went away.
    private static func head(from pending: inout [UInt8], reading fd: Int32, _ buffer: inout [UInt8])
        -> (String, Int)? {
        let blank: [UInt8] = Array("\r\n\r\n".utf8)
        var scanned = 0
        while true {
            if let end = (max(0, scanned - 3)..<max(0, pending.count - 3)).first(where: { pending[$0..<($0 + 4)]
                .elementsEqual(blank) }) {
                let head = String(decoding: pending[..<end], as: UTF8.self)
                pending.removeFirst(end + 4)
                let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                return (head, length)
            }
            scanned = pending.count
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return nil }
            pending += buffer[..<n]
        }
    }

    /// Reads and drops a body of `length` bytes; false when the client went away first.
    private static func skip(_ length: Int, from pending: inout [UInt8], reading fd: Int32,
                             _ buffer: inout [UInt8]) -> Bool {
        var left = length - min(length, pending.count)
        pending.removeFirst(min(length, pending.count))
        while left > 0 {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, min($0.count, left), 0) }
            guard n > 0 else { return false }
            left -= n
        }
        return true
    }
}
