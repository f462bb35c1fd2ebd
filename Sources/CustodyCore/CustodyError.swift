/// The error a user of custody sees. It says what went wrong and, where it can, what to do next;
/// `kind` decides the exit code of the CLI.
public struct CustodyError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        /// Bad arguments or bad input: exit 2.
        case usage
        /// Stored evidence failed a check: exit 1.
        case integrity
        /// Refused by policy (no actor, wrong token, expired link): exit 2.
        case refused
        /// Anything else (I/O, database, library failure): exit 3.
        case failure
    }

    public let kind: Kind
    public let message: String
    /// The underlying cause, kept for diagnostics.
    public let cause: String?

    public init(_ kind: Kind, _ message: String, cause: (any Error)? = nil) {
        self.kind = kind
        self.message = message
        self.cause = cause.map { String(describing: $0) }
    }

    public static func usage(_ message: String) -> CustodyError { CustodyError(.usage, message) }
    public static func integrity(_ message: String) -> CustodyError { CustodyError(.integrity, message) }
    public static func refused(_ message: String) -> CustodyError { CustodyError(.refused, message) }
    public static func failure(_ message: String, cause: (any Error)? = nil) -> CustodyError {
        CustodyError(.failure, message, cause: cause)
    }

    public var exitCode: Int32 {
        switch kind {
        case .usage, .refused: return 2
        case .integrity: return 1
        case .failure: return 3
        }
    }

    public var description: String {
        if let cause { return "\(message) (\(cause))" }
        return message
    }
}
