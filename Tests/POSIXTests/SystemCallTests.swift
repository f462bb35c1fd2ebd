@preconcurrency import Glibc
import POSIX
import XCTest

final class SystemCallTests: XCTestCase {
    /// A call a signal interrupted is made again; the caller sees only its final result.
    func testInterruptedCallsAreRetried() throws {
        var calls = 0
        let result = try systemCall("read", path: "/dev/null") { () -> Int in
            calls += 1
            if calls < 3 {
                errno = EINTR
                return -1
            }
            return 7
        }
        XCTAssertEqual(result, 7)
        XCTAssertEqual(calls, 3)
    }

    /// A failure names the call, the file and the system's reason.
    func testAFailureNamesTheCallThePathAndTheReason() {
        let path = "/nonexistent-\(getpid())/file"
        XCTAssertThrowsError(try FS.open(path, O_RDONLY)) { error in
            guard let e = error as? SystemError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.call, "open")
            XCTAssertEqual(e.path, path)
            XCTAssertEqual(e.errno, ENOENT)
            XCTAssertEqual(e.description, "open \(path): No such file or directory")
        }
    }

    /// A failure with what the caller was doing says so, with errno's number.
    func testAFailureInContextSaysWhatWasBeingDone() {
        XCTAssertThrowsError(try systemCall("bind", "binding 127.0.0.1:1") { () -> Int32 in
            errno = EADDRINUSE
            return -1
        }) { error in
            XCTAssertEqual((error as? SystemError)?.description,
                           "bind failed while binding 127.0.0.1:1: Address already in use (errno \(EADDRINUSE))")
        }
    }

    /// A disk that is full is told apart from other failures.
    func testDiskFullIsRecognised() {
        XCTAssertTrue(SystemError(call: "write", path: "x", errno: ENOSPC).isDiskFull)
        XCTAssertTrue(SystemError(call: "write", path: "x", errno: EDQUOT).isDiskFull)
        XCTAssertFalse(SystemError(call: "write", path: "x", errno: EIO).isDiskFull)
    }

    /// An accepted socket is non-blocking and closed on exec from the start (accept4 through the shim).
    func testAcceptedSocketsAreNonBlockingAndCloseOnExec() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(listener, 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { any in
                try systemCall("bind", "binding a test listener") { bind(listener, any, length) }
                try systemCall("listen", "listening") { listen(listener, 1) }
                try systemCall("getsockname", "naming the listener") { getsockname(listener, any, &length) }
            }
        }
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        _ = try withUnsafePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { any in
                try systemCall("connect", "connecting") { connect(client, any, length) }
            }
        }
        var peer = sockaddr_storage()
        let accepted = acceptNonBlocking(listener, &peer)
        XCTAssertGreaterThanOrEqual(accepted, 0, String(cString: strerror(errno)))
        defer { close(accepted) }
        XCTAssertNotEqual(fcntl(accepted, F_GETFL) & O_NONBLOCK, 0)
        XCTAssertNotEqual(fcntl(accepted, F_GETFD) & FD_CLOEXEC, 0)
    }

    /// The O_DIRECT value comes from the C headers of this architecture.
    func testDirectFlagIsTheArchitecturesValue() {
        #if arch(x86_64)
        XCTAssertEqual(FS.directFlag, 0o40000)
        #elseif arch(arm64)
        XCTAssertEqual(FS.directFlag, 0o200000)
        #endif
    }
}
