@preconcurrency import Glibc
import Dispatch
import POSIX

/// Creating the listening socket.
enum Listener {
    /// A non-blocking socket bound to `host:port` and listening; the first address that binds wins.
    static func bind(host: String, port: UInt16, backlog: Int32) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let list else {
            throw SystemError(call: "getaddrinfo", errno: rc == EAI_SYSTEM ? errno : EINVAL,
                                  context: "resolving \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = SystemError(call: "bind", errno: EADDRNOTAVAIL, context: "binding \(host):\(port)")
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let info = entry {
            entry = info.pointee.ai_next
            do {
                return try bind(info.pointee, host: host, port: port, backlog: backlog)
            } catch let error as SystemError {
                lastError = error
            }
        }
        throw lastError
    }

    private static func bind(_ info: addrinfo, host: String, port: UInt16, backlog: Int32) throws -> Int32 {
        let type = Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue)
        let fd = try systemCall("socket", "creating a socket for \(host):\(port)") {
            socket(info.ai_family, type, 0)
        }
        do {
            var one: Int32 = 1
            try systemCall("setsockopt", "setting SO_REUSEADDR") {
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            }
            try systemCall("bind", "binding \(host):\(port)") { Glibc.bind(fd, info.ai_addr, info.ai_addrlen) }
            try systemCall("listen", "listening on \(host):\(port)") { listen(fd, backlog) }
            return fd
        } catch {
            close(fd)
            throw error
        }
    }

    /// The port a bound socket got (the kernel's choice when binding port 0).
    static func localPort(of fd: Int32) -> UInt16 {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let description = ConnectionSocket.describe(address)
        return UInt16(description.split(separator: ":").last ?? "0") ?? 0
    }
}

/// Signal handlers that shut a server down; keep the value alive as long as the handlers should stay.
public final class HTTPServerSignalHandlers: @unchecked Sendable {
    private var watches: [SignalWatch]

    init(_ watches: [SignalWatch]) { self.watches = watches }

    /// Removes the handlers (the signals stay ignored, as the default action would kill the process).
    public func cancel() {
        watches.forEach { $0.cancel() }
        watches = []
    }

    deinit { cancel() }
}

extension HTTPServer {
    /// Makes SIGTERM and SIGINT (or `signals`) call `shutdown()`, for the `serve` daemon. Not for tests:
    /// signal dispositions are process-wide.
    public func installShutdownSignalHandlers(_ signals: [Int32] = [SIGTERM, SIGINT]) -> HTTPServerSignalHandlers {
        HTTPServerSignalHandlers(signals.map { SignalWatch($0) { [weak self] in self?.shutdown() } })
    }
}
