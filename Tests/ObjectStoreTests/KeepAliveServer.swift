@preconcurrency import Glibc
import Foundation

/// A server on loopback that keeps connections alive, as S3 and RGW do, and closes the idle ones when told
/// (`closeIdle`), as they do after their keep-alive timeout. It answers every request (head only, no body)
/// with 200 and an empty body, but holds the first answers back until `hold` requests have arrived, so that
/// that many connections are open at once and all of them go back to the client's pool.
final class KeepAliveServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let condition = NSCondition()
    private var open: Set<Int32> = []
    private var arrived = 0
    private let hold: Int
    private(set) var requests = 0

    init(hold: Int) throws {
        self.hold = hold
        (listener, port) = try FaultyS3.listen()
        let listener = self.listener
        Thread.detachNewThread { [weak self, listener] in
            while true {
                let fd = accept(listener, nil, nil)
                guard fd >= 0 else { return }
                guard let self else { close(fd); return }
                self.condition.withLock { _ = self.open.insert(fd) }
                Thread.detachNewThread { self.serve(fd) }
            }
        }
    }

    deinit {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        closeIdle()
    }

    var requestCount: Int { condition.withLock { requests } }

    /// Closes every connection open now (they are all idle between requests when this is called).
    func closeIdle() {
        condition.withLock {
            for fd in open { shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    private func serve(_ fd: Int32) {
        defer {
            condition.withLock { _ = open.remove(fd) }
            close(fd)
        }
        var pending = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            while !String(decoding: pending, as: UTF8.self).contains("\r\n\r\n") {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                guard n > 0 else { return }
                pending += buffer[..<n]
            }
            let text = String(decoding: pending, as: UTF8.self)
            pending = Array(text[text.range(of: "\r\n\r\n")!.upperBound...].utf8)
            condition.withLock {
                requests += 1
                arrived += 1
                condition.broadcast()
                while arrived < hold { condition.wait() }
            }
            let answer = Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".utf8)
            let sent = answer.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return }
        }
    }
}
