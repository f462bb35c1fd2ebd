/// Who did something to the evidence. Every custody event names one.
public struct Actor: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case officer, device, recipient, system
        /// A remote redaction worker (`custody worker --server`), registered with its own token.
        case worker
    }

    public let id: String
    public let kind: Kind

    public init(id: String, kind: Kind) {
        self.id = id
        self.kind = kind
    }

    public static func officer(_ id: String) -> Actor { Actor(id: id, kind: .officer) }
    public static func device(_ id: String) -> Actor { Actor(id: id, kind: .device) }
    public static func worker(_ id: String) -> Actor { Actor(id: id, kind: .worker) }
    public static let system = Actor(id: "custody", kind: .system)

    public var description: String { "\(kind.rawValue):\(id)" }

    /// The ID refusals are recorded under when no one was authenticated: a request to the API without a
    /// valid officer token (`officer:unauthenticated`), an upload without a valid dock token
    /// (`device:unauthenticated`), a link naming no valid recipient (`recipient:unauthenticated`). No
    /// officer, dock or recipient may take it (`isReservedID`), so the ledger never confuses them.
    public static let unauthenticatedID = "unauthenticated"

    /// True for an ID no officer, dock or recipient may take: `unauthenticatedID`, in any letter case.
    public static func isReservedID(_ id: String) -> Bool { id.lowercased() == unauthenticatedID }

    /// Why `id` cannot be taken (`isReservedID`), naming what it is: "officer ID", "device name".
    public static func reservedMessage(_ id: String, as what: String) -> String {
        "\(what) \(id) is reserved (the ledger's actor for refused attempts by someone not authenticated); "
            + "choose another"
    }

    /// How officers', docks' and workers' bearer tokens start; no actor ID does.
    public static let tokenPrefixes = ["cot_", "cdt_", "cwt_"]

    /// Actor IDs are short printable names: letters, digits and `._@-`, 1 to 64 characters, never one
    /// starting like a bearer token (`cot_`, `cdt_`): a token given where an ID goes (`CUSTODY_ACTOR` set
    /// to an officer's token) is refused as malformed, so it is neither recorded in the ledger nor echoed.
    public static func isValidID(_ id: String) -> Bool {
        guard (1...64).contains(id.utf8.count) else { return false }
        if tokenPrefixes.contains(where: { id.lowercased().hasPrefix($0) }) { return false }
        return id.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
                || c == 0x2e || c == 0x5f || c == 0x40 || c == 0x2d
        }
    }
}
