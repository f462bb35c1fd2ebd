@preconcurrency import Glibc
import Foundation
import TestSupport
import XCTest
@testable import HTTPServer

/// `bodySent` (what `whenSent` reports, and a download's `bytes_sent` in the ledger) counts every body
/// byte handed to the connection, also those of a piece that went out in part before the write failed.
final class BodySentTests: XCTestCase {
    func testAPieceSentInPartBeforeTheWriteFailedIsCounted() throws {
        let dir = TemporaryDirectory("body-sent")
        defer { dir.remove() }
        let path = dir.file("body")
        try Data((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0) }).write(to: URL(fileURLWithPath: path))
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds), 0)
        defer { Glibc.close(fds[1]) }
        // A send buffer far smaller than one 256 KiB piece: the first piece goes out in part, then stalls.
        var small: Int32 = 32 * 1024
        setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        XCTAssertEqual(fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK), 0)
        let socket = ConnectionSocket(fd: fds[0], remoteAddress: "peer")
        var bodySent: Int64 = 0
        // The peer reads nothing: the write times out part way through.
        XCTAssertThrowsError(try ResponseWriter(socket: socket, writeTimeout: 0.2)
            .write(.file(.ok, HTTPFileRegion(path: path)), headOnly: false, keepAlive: false, bodySent: &bodySent))
        socket.close()
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fds[1], $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            received += buffer[..<n]
        }
        let head = try XCTUnwrap(received.firstRange(of: Array("\r\n\r\n".utf8)))
        let body = received.count - head.upperBound
        XCTAssertGreaterThan(body, 0, "some of the body went out")
        XCTAssertEqual(bodySent, Int64(body), "every body byte the peer got is counted")
    }
}
