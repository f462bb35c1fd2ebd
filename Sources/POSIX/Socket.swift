import CSystem
@preconcurrency import Glibc

/// Accepts a connection on `listener` as a non-blocking, close-on-exec socket (accept4(2)), retrying
/// EINTR; returns the socket and fills `address` with the peer's, or returns -1 with errno set.
public func acceptNonBlocking(_ listener: Int32, _ address: inout sockaddr_storage) -> Int32 {
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    return withUnsafeMutablePointer(to: &address) { storage in
        storage.withMemoryRebound(to: sockaddr.self, capacity: 1) { peer in
            retryingInterrupts { custody_accept_nonblocking(listener, peer, &length) }
        }
    }
}
