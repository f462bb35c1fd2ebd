/// Who did something to the evidence. Every custody event names one.
public struct Actor: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case officer, device, recipient, system
    }

    public let id: String
    public let kind: Kind

    public init(id: String, kind: Kind) {
        self.id = id
        self.kind = kind
    }

    public static func officer(_ id: String) -> Actor { Actor(id: id, kind: .officer) }
    public static func device(_ id: String) -> Actor { Actor(id: id, kind: .device) }
    public static let system = Actor(id: "custody", kind: .system)

    public var description: String { "\(kind.rawValue):\(id)" }

    /// How officers' and docks' bearer tokens start; no actor ID does.
    public static let tokenPrefixes = ["cot_", "cdt_"]

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
