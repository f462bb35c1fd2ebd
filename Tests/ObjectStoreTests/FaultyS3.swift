@preconcurrency import Glibc
import Foundation

/// A stand-in S3 on loopback that answers from a script, one step per request: a status with a body, or a
/// connection dropped right after the request arrived, or
/// silence. For what moto does not do on demand (503, SlowDown,
/// resets). It reads each request whole (head and Content-Length body) before answering.
final class FaultyS3: @unchecked Sendable {
    /// `closing`: an answer with `Connection: close`, the connection closed after it.
    enum Step { case answer(Int, String), closing(Int, String), drop, hang }

    let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var script: [Step]
    private(set) var requests: [String] = []

    init(_ script: [Step]) throws {
        self.script = script
        (listener, port) = try Self.listen()
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

    /// A socket listening on a free port of 127.0.0.1, and the port.
    static func listen() throws -> (Int32, Int) {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0
                && Glibc.listen(listener, 64) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        guard bound else {
            close(listener)
            throw NSError(domain: "loopback listener", code: Int(errno))
        }
        return (listener, Int(UInt16(bigEndian: address.sin_port)))
    }

    deinit { shutdown(listener, Int32(SHUT_RDWR)); close(listener) }

    var requestCount: Int { lock.withLock { requests.count } }

    private func connection(_ fd: Int32) {
        defer { close(fd) }
        var pending = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            guard let request = Self.request(from: &pending, reading: fd, &buffer) else { return }
            let step: Step = lock.withLock {
                requests.append(request)
                return script.isEmpty ? .answer(200, "") : script.removeFirst()
            }
            switch step {
            case .drop:
                return
            case .hang:  // say nothing until the client gives up and closes
                while recv(fd, &buffer, buffer.count, 0) > 0 {}
                return
            case .answer(let status, let body), .closing(let status, let body):
                let closing = if case .closing = step { "Connection: close\r\n" } else { "" }
                let text = "HTTP/1.1 \(status) X\r\n\(closing)Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
                _ = Array(text.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if !closing.isEmpty { return }
            }
        }
    }

    /// The next request's first line, once its head and body have arrived; nil when the client went away.
    private static func request(from pending: inout [UInt8], reading fd: Int32, _ buffer: inout [UInt8]) -> String? {
        while true {
            let text = String(decoding: pending, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                let head = String(text[..<end.lowerBound])
                let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                let total = text[..<end.upperBound].utf8.count + length
                if pending.count >= total {
                    pending.removeFirst(total)
                    return String(head.split(separator: "\r\n").first ?? "")
                }
            }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return nil }
            pending += buffer[..<n]
        }
    }
}
