import Catalog
import Crypto
import CustodyCore
import Ledger

/// Roles: the permission-based gate every use case goes through (`authorize(_:to:exhibit:details:)`),
/// checked against `RolePolicy`, and officers' personal tokens.
extension Vault {
    /// Checks that `actor` may use `permission` (on `exhibit`, for a permission an officer has on their
    /// own recordings only: without one, that reach is refused unless `filteredToOwn` says the use case
    /// itself gives such an officer only their own recordings, as `exhibits(for:)` does). A refusal is
    /// recorded as `permission.action`, with the actor and the reason, and thrown as `.refused`.
    public func authorize(_ actor: Actor, to permission: Permission, exhibit: Exhibit? = nil,
                          filteredToOwn: Bool = false, details: [String: String] = [:]) throws {
        if let why = try refusalReason(actor, permission, exhibit: exhibit, filteredToOwn: filteredToOwn) {
            throw refuse(actor, permission.action, reason: why, exhibit: exhibit?.id, details: details)
        }
    }

    /// Why `actor` may not use `permission`, or nil when it may. An officer must be registered and
    /// active; docks and custody itself keep the actions they have (`refusalReason(_:_:)`). Reach on
    /// one's own recordings only fails closed: with no exhibit to check, it is refused (see `authorize`).
    func refusalReason(_ actor: Actor, _ permission: Permission, exhibit: Exhibit?,
                       filteredToOwn: Bool = false) throws -> String? {
        guard actor.kind == .officer else { return try refusalReason(actor, permission.action) }
        guard Actor.isValidID(actor.id) else { return Vault.malformedOfficer }
        guard let officer = try officerRegistry.officer(actor.id) else {
            return "officer \(actor.id) is not registered"
        }
        guard officer.isActive else { return "officer \(actor.id) is disabled" }
        switch RolePolicy.reach(officer.role, permission) {
        case .all: return nil
        case .none: return "\(officer.role.article) \(officer.role.rawValue) may not \(permission.phrase)"
        case .own:
            guard let exhibit else {
                return filteredToOwn ? nil : "\(officer.role.article) \(officer.role.rawValue) may only "
                    + "\(permission.phrase) they recorded, and no recording was named"
            }
            guard try !recordedBy(actor.id, exhibit) else { return nil }
            return "\(exhibit.id) is not a recording of \(actor.id)'s; an officer may only \(permission.phrase) "
                + "they recorded"
        }
    }

    /// True when officer `id` recorded `exhibit` (for a derived clip: the original it was cut from).
    public func recordedBy(_ id: String, _ exhibit: Exhibit) throws -> Bool {
        var lookupError: (any Error)?
        let recorder = Self.recorder(of: exhibit) { sha256 in
            do { return try catalog.exhibit(sha256: sha256) } catch { lookupError = error; return nil }
        }
        if let lookupError { throw lookupError }
        return recorder == id
    }

    /// The officer who recorded `exhibit`: its own `officer`, or for a derived clip (a redaction of a
    /// redaction too) that of the original it comes from; nil when that original is not in the catalog.
    static func recorder(of exhibit: Exhibit, parent: (SHA256Digest) -> Exhibit?) -> String? {
        var current = exhibit
        var seen: Set<SHA256Digest> = [exhibit.sha256]
        while let parentSHA256 = current.parentSHA256 {
            guard seen.insert(parentSHA256).inserted, let found = parent(parentSHA256) else { return nil }
            current = found
        }
        return current.officer
    }

    /// The role of the registered, active officer `actor`, or nil.
    public func role(of actor: Actor) throws -> Role? {
        guard actor.kind == .officer, let officer = try officerRegistry.officer(actor.id), officer.isActive
        else { return nil }
        return officer.role
    }

    /// The active officer a bearer token belongs to, or nil (unknown, malformed or disabled). The
    /// caller records a refusal for nil, within its budget.
    public func authenticateOfficer(token: String) throws -> OfficerRegistry.Officer? {
        guard token.hasPrefix(OfficerToken.prefix), token.utf8.count <= OfficerToken.maxLength else { return nil }
        let presented = OfficerToken.sha256(token)
        guard let found = try officerRegistry.officer(tokenSHA256: presented),
              ConstantTime.equals(Array(found.storedSHA256.utf8), Array(presented.utf8)),
              found.officer.isActive
        else { return nil }
        return found.officer
    }
}

/// An officer's personal bearer token: `cot_<43 base64url characters>` (32 random bytes), shown once;
/// only its SHA-256 is stored.
enum OfficerToken {
    static let prefix = "cot_"
    static let maxLength = 256
    static func sha256(_ token: String) -> String { SHA256.hash(Array(token.utf8)).hex }
    static func make() throws -> String { prefix + Base64.urlEncode(try SecureRandom.bytes(32)) }
}

extension Role {
    var article: String { self == .evidenceOfficer || self == .officer || self == .auditor ? "an" : "a" }
}
