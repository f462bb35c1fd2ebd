@preconcurrency import Glibc

/// A failed system call: which call, its errno, and the file it was on or what the caller was doing.
public struct SystemError: Error, CustomStringConvertible, Sendable {
    /// The function that failed, e.g. "open" or "bind".
    public let call: String
    /// The errno it left.
    public let errno: Int32
    /// The file the call was on, if any.
    public let path: String?
    /// What the caller was doing, e.g. "binding 127.0.0.1:8080", if it said.
    public let context: String?

    /// A call on a file failing with `errno`.
    public init(call: String, path: String, errno: Int32) {
        self.init(call: call, errno: errno, path: path, context: nil)
    }

    /// A call failing with `errno` while the caller was doing `context`.
    public init(call: String, errno: Int32, context: String) {
        self.init(call: call, errno: errno, path: nil, context: context)
    }

    @usableFromInline
    init(call: String, errno: Int32, path: String?, context: String?) {
        self.call = call
        self.errno = errno
        self.path = path
        self.context = context
    }

    /// The call, what it was on or doing, and strerror's text.
    public var description: String {
        let reason = String(cString: strerror(errno))
        if let context { return "\(call) failed while \(context): \(reason) (errno \(errno))" }
        if let path { return "\(call) \(path): \(reason)" }
        return "\(call): \(reason) (errno \(errno))"
    }

    /// ENOSPC / EDQUOT: the disk is full.
    public var isDiskFull: Bool { errno == ENOSPC || errno == EDQUOT }
}
