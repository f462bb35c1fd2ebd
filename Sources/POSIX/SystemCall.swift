@preconcurrency import Glibc

/// Runs a system call that returns a negative value and sets errno on failure, again while it fails
/// with EINTR (a signal arrived); returns the last result, with errno as the call left it.
@inlinable @discardableResult
public func retryingInterrupts<T: BinaryInteger>(_ body: () -> T) -> T {
    while true {
        let result = body()
        if result >= 0 || errno != EINTR { return result }
    }
}

/// Runs a system call that returns -1 and sets errno on failure, retrying EINTR; a failure throws a
/// `SystemError` naming the call and the file it was on (`path`) or what the caller was doing.
@inlinable @discardableResult
public func systemCall<T: BinaryInteger>(_ call: String, path: String? = nil,
                                         _ context: @autoclosure () -> String? = nil,
                                         _ body: () -> T) throws -> T {
    let result = retryingInterrupts(body)
    if result >= 0 { return result }
    throw SystemError(call: call, errno: errno, path: path, context: context())
}
