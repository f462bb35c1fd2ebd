/// What went wrong, in the domain's words: the CLI turns `kind` into an exit code and Service into an
/// HTTP status, each in one place. The message says what is wrong and names no command of either;
/// the CLI adds its hint (which command helps) where one does.
public struct CustodyError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// The input is malformed or unusable; `field` names what (an option, a header, a file).
        case invalidInput(field: String)
        /// The thing named does not exist.
        case notFound(Subject)
        /// Not allowed: no or an invalid acting party, or a rule forbids it (an unreadable exhibit
        /// cannot be redacted, a data directory readable by others is not opened). The message is why.
        case refused
        /// It clashes with what exists (a name taken, a file at the destination, a device revoked).
        case conflict(Subject)
        /// Stored evidence or the ledger failed a check.
        case integrity
        /// The disk holding the vault or the destination is full; nothing was kept.
        case diskFull
        /// A file of the vault itself is missing (a key): the vault is incomplete, not the input wrong.
        case missing(Subject)
        /// Anything else (I/O, database, library failure).
        case failure
    }

    /// What a `notFound`, `conflict` or `missing` is about, so a front end can say where to look.
    public enum Subject: String, Sendable, Equatable {
        case exhibit, device, dataDirectory, file, checkpoint
        /// A case (a prosecution's reference) and the exhibits linked to it.
        case `case`
        /// A court bundle (and the transfer job that makes it).
        case bundle
        /// The vault's key files: the ledger's signing key and its public key.
        case ledgerKey, ledgerPublicKey
        /// The key download links are signed with.
        case linkSecret
        /// A vault setting fixed when the vault was created (its organisation, its ledger origin).
        case setting
        /// A registered officer (their role, their token).
        case officer
        case other
    }

    public let kind: Kind
    public let message: String
    /// The underlying cause, kept for diagnostics.
    public let cause: String?
    /// A refusal whose event the ledger holds already (written where it was refused): a front end
    /// records the others itself.
    public let recorded: Bool

    public init(_ kind: Kind, _ message: String, cause: (any Error)? = nil, recorded: Bool = false) {
        self.kind = kind
        self.message = message
        self.cause = cause.map { String(describing: $0) }
        self.recorded = recorded
    }

    public static func invalidInput(field: String, _ message: String) -> CustodyError {
        CustodyError(.invalidInput(field: field), message)
    }
    public static func notFound(_ subject: Subject, _ message: String) -> CustodyError {
        CustodyError(.notFound(subject), message)
    }
    public static func refused(_ reason: String, recorded: Bool = false) -> CustodyError {
        CustodyError(.refused, reason, recorded: recorded)
    }
    public static func conflict(_ subject: Subject, _ message: String) -> CustodyError {
        CustodyError(.conflict(subject), message)
    }
    public static func integrity(_ message: String) -> CustodyError { CustodyError(.integrity, message) }
    public static func diskFull(_ message: String) -> CustodyError { CustodyError(.diskFull, message) }
    public static func missing(_ subject: Subject, _ message: String, cause: (any Error)? = nil) -> CustodyError {
        CustodyError(.missing(subject), message, cause: cause)
    }
    public static func failure(_ message: String, cause: (any Error)? = nil) -> CustodyError {
        CustodyError(.failure, message, cause: cause)
    }

    /// The caller asked for something wrong (bad input, nothing there, not allowed, a clash), as opposed
    /// to the evidence failing a check or the system failing: trying again as is cannot succeed.
    public var isCallersFault: Bool {
        switch kind {
        case .invalidInput, .notFound, .refused, .conflict: return true
        case .integrity, .diskFull, .missing, .failure: return false
        }
    }

    /// The field an `invalidInput` names, if it is one.
    public var field: String? {
        if case .invalidInput(let field) = kind { return field }
        return nil
    }

    public var description: String {
        if let cause { return "\(message) (\(cause))" }
        return message
    }
}
