import Catalog
import CustodyCore
import Foundation
import Ledger

/// Retention categories and which exhibit is in which: adding a category (or changing its period)
/// and categorising an exhibit are `retention` events (`change`: `category`, `categorise`); each
/// refused attempt is a refused `retention` event and changes nothing.
extension Vault {
    /// Adds category `name` kept `keepSeconds` after capture, or changes an existing one's period.
    /// Returns the category and the period it had before (nil: new).
    public func setCategory(_ name: String, keepSeconds: Int64, by actor: Actor) throws
        -> (category: RetentionRegistry.Category, before: Int64?) {
        var details = ["change": "category", "category": String(name.prefix(64)),
                       "keep": RetentionPeriod.format(keepSeconds)]
        let result = try withRetention(.manageRetention, .retention, details: details, by: actor) {
            let before = try retentionRegistry.set(name, keepSeconds: keepSeconds, by: actor)
            guard let category = try retentionRegistry.category(name) else {
                throw CustodyError.failure("category \(name) was not stored")
            }
            details["category"] = category.name
            details["before"] = before.map(RetentionPeriod.format)
            try record(CustodyEvent(actor: actor, action: .retention, details: details))
            return (category, before)
        }
        if let before = result.1, keepSeconds > before { settleLocks(for: nil) }  // a period lengthened
        return result
    }

    /// Every category, by name. Not recorded when allowed.
    public func categories(for actor: Actor) throws -> [RetentionRegistry.Category] {
        try withRetention(.readRetention, .view, details: ["list": "categories"], by: actor) {
            try retentionRegistry.all()
        }
    }

    /// Puts the exhibit `reference` names in category `name`; returns the exhibit and the category
    /// it had before (nil: none).
    public func categorise(_ reference: String, as name: String, by actor: Actor) throws
        -> (exhibit: Exhibit, category: String, before: String?) {
        var details = ["change": "categorise", "category": String(name.prefix(64)),
                       "reference": String(reference.prefix(100))]
        let result = try withRetention(.categorise, .retention, details: details, by: actor) {
            let exhibit = try live(catalog.find(reference))
            let (category, before) = try retentionRegistry.categorise(exhibit.id, as: name, by: actor)
            details["category"] = category
            details["before"] = before ?? "(none)"
            details["reference"] = nil
            try record(CustodyEvent(actor: actor, action: .retention, exhibit: exhibit.id,
                                    objectSHA256: exhibit.sha256.hex, details: details))
            return (exhibit, category, before)
        }
        settleLocks(for: [result.0.id])
        return result
    }

    /// `exhibit`, unless retention deleted it: then the caller's error, naming when and whether it can
    /// be restored. Deleted exhibits are hidden from every use case but `restore`, verify and the ledger.
    func live(_ exhibit: Exhibit) throws -> Exhibit {
        guard let deletion = try deletionRegistry.deletion(of: exhibit.id) else { return exhibit }
        throw CustodyError.notFound(.exhibit, Self.deletedMessage(exhibit.id, deletion))
    }

    static func deletedMessage(_ id: String, _ deletion: DeletionRegistry.Deletion) -> String {
        let when = Timestamp.rfc3339(Date(timeIntervalSince1970: Double(deletion.deletedAt)))
        if let purged = deletion.purgedAt {
            let then = Timestamp.rfc3339(Date(timeIntervalSince1970: Double(purged)))
            return "\(id) was deleted by retention on \(when) and purged on \(then): it cannot be restored"
        }
        let until = Timestamp.rfc3339(Date(timeIntervalSince1970: Double(deletion.deletedAt + restoreWindow)))
        return "\(id) was deleted by retention on \(when) (event \(deletion.event)); `custody restore \(id)` "
            + "brings it back until \(until)"
    }

    /// What retention knows of every exhibit, in catalog order.
    public func retentionFacts() throws -> [RetentionFacts] {
        try db.readTransaction {
            let categories = try retentionRegistry.assignments()
            let holds = try holdRegistry.standingByExhibit()
            let open = try caseRegistry.openCasesByExhibit()
            let deleted = try deletionRegistry.all()
            return try catalog.all().map { e in
                RetentionFacts(exhibit: e, category: categories[e.id], holds: (holds[e.id] ?? []).map(Self.label),
                               openCases: open[e.id] ?? [], deleted: deleted[e.id] != nil)
            }
        }
    }

    /// What retention knows of `exhibit`'s family (what it derives from, it, what derives from it), in
    /// catalog order: all a decision on `exhibit` depends on.
    func retentionFacts(family exhibit: Exhibit) throws -> [RetentionFacts] {
        var ancestors = [Exhibit]()
        var next = exhibit.parentSHA256
        while let sha = next, let parent = try catalog.exhibit(sha256: sha), !ancestors.contains(parent) {
            ancestors.insert(parent, at: 0)
            next = parent.parentSHA256
        }
        var family = ancestors + [exhibit]
        var i = ancestors.count
        while i < family.count {
            family += try catalog.derived(from: family[i]).filter { !family.contains($0) }
            i += 1
        }
        return try family.map { e in
            RetentionFacts(exhibit: e, category: try retentionRegistry.assigned(e.id),
                           holds: try holdRegistry.holding(e.id).map(Self.label),
                           openCases: try caseRegistry.openCases(holding: e.id),
                           deleted: try deletionRegistry.deletion(of: e.id) != nil)
        }
    }

    static func label(_ hold: HoldRegistry.Hold) -> String { "\(hold.id) (\(hold.reason))" }

    /// Authorizes `actor` for `permission` (nil: the caller did), then runs `body` in one transaction
    /// with its events; a refusal after that (bad input, no such exhibit, case or category) is recorded
    /// as a refused `action`, after the rollback.
    func withRetention<T>(_ permission: Permission?, _ action: CustodyEvent.Action, details: [String: String],
                          by actor: Actor, _ body: () throws -> T) throws -> T {
        if let permission { try authorize(actor, to: permission, details: details) }
        do { return try db.transaction(body) } catch let e as CustodyError where e.isCallersFault && !e.recorded {
            refuse(actor, action, reason: e.message, details: details)
            throw e
        }
    }
}
