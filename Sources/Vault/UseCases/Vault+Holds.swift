import Catalog
import CustodyCore
import Ledger

/// Legal holds, and closing and reopening cases: what keeps exhibits from retention. Adding or
/// removing a hold is a `hold` event per hold; closing or reopening a case a `retention` event
/// (`change`: `case closed`, `case reopened`), since that is what it changes. Each refused attempt
/// is recorded and changes nothing. A hold on a case, or its reopening, restores the case's exhibits
/// retention deleted and has not purged (`restoreKept`).
extension Vault {
    /// Places a hold on what `reference` names: a case when a case has that reference (`EX-...` always
    /// names an exhibit), else an exhibit (ID or SHA-256 prefix).
    public func addHold(on reference: String, reason: String, by actor: Actor) throws -> HoldRegistry.Hold {
        let details = ["change": "added", "reference": String(reference.prefix(100))]
        let hold = try withRetention(.manageRetention, .hold, details: details, by: actor) {
            let (target, exhibit) = try holdTarget(reference)
            let hold = try holdRegistry.add(target, reason: reason, by: actor)
            try record(holdEvent(hold, exhibit: exhibit, change: "added", by: actor))
            if case .case(let ref) = target { try restoreKept(inCase: ref, because: "on hold: \(hold.id)", by: actor) }
            return hold
        }
        settleLocks(for: (try? heldExhibits(hold.target)) ?? [])
        return hold
    }

    /// Removes every standing hold on what `reference` names (see `addHold`), each with its own event.
    public func removeHolds(on reference: String, reason: String, by actor: Actor) throws -> [HoldRegistry.Hold] {
        let details = ["change": "removed", "reference": String(reference.prefix(100))]
        let removed = try withRetention(.manageRetention, .hold, details: details, by: actor) {
            guard !reason.trimmingCharacters(in: .whitespaces).isEmpty, !reason.altersDisplay,
                  reason.utf8.count <= HoldRegistry.maxReasonLength else {
                throw CustodyError.invalidInput(field: "reason", "--reason must be 1-\(HoldRegistry.maxReasonLength) "
                                                + "bytes of text on one line, without control characters")
            }
            let (target, exhibit) = try holdTarget(reference, allowDeleted: true)
            let removed = try holdRegistry.remove(target, by: actor)
            guard !removed.isEmpty else {
                throw CustodyError.notFound(.other, "there is no hold on \(target)")
            }
            for hold in removed {
                var event = holdEvent(hold, exhibit: exhibit, change: "removed", by: actor)
                event.reason = reason
                try record(event)
            }
            return removed
        }
        settleLocks(for: (try? removed.flatMap { try heldExhibits($0.target) }) ?? [])
        return removed
    }

    /// The standing holds (every hold, removed ones too, with `all`), oldest first. Not recorded.
    public func holds(all: Bool = false, for actor: Actor) throws -> [HoldRegistry.Hold] {
        try withRetention(.readRetention, .view, details: ["list": "holds"], by: actor) {
            try holdRegistry.list(all: all)
        }
    }

    /// Closes (`closed` true) or reopens case `ref`. Returns the case and whether it changed (false: it
    /// already was, and nothing is recorded).
    public func setCaseClosed(_ ref: String, _ closed: Bool, by actor: Actor) throws
        -> (case: CaseRegistry.Case, changed: Bool) {
        let change = closed ? "case closed" : "case reopened"
        let details = ["change": change, "case": String(ref.prefix(64))]
        let result = try withRetention(.manageRetention, .retention, details: details, by: actor) {
            let found = try caseRegistry.get(ref)
            let changed = try caseRegistry.setClosed(closed, found, by: actor)
            if changed {
                try record(CustodyEvent(actor: actor, action: .retention, caseID: found.ref,
                                        details: ["change": change, "case": found.ref]))
                if !closed { try restoreKept(inCase: found.ref, because: "in open case \(found.ref)", by: actor) }
            }
            return (try caseRegistry.get(found.ref), changed)
        }
        if result.1 && !closed { settleLocks(for: (try? heldExhibits(.case(result.0.ref))) ?? []) }
        return result
    }

    /// The exhibits a hold on `target` covers: it, or the members of the case.
    func heldExhibits(_ target: HoldRegistry.Target) throws -> [String] {
        switch target {
        case .exhibit(let id): return [id]
        case .case(let ref): return try caseRegistry.members(of: caseRegistry.get(ref)).map(\.exhibit)
        }
    }

    /// What a hold's `reference` names, and the exhibit when it is one.
    private func holdTarget(_ reference: String, allowDeleted: Bool = false) throws
        -> (HoldRegistry.Target, Exhibit?) {
        if !reference.uppercased().hasPrefix("EX-"), CaseRegistry.isValidRef(reference),
           let found = try caseRegistry.find(reference) {
            return (.case(found.ref), nil)
        }
        let exhibit = try catalog.find(reference)
        if !allowDeleted, let deletion = try deletionRegistry.deletion(of: exhibit.id) {
            throw CustodyError.conflict(.exhibit, Self.deletedMessage(exhibit.id, deletion) + "; restore it first")
        }
        return (.exhibit(exhibit.id), exhibit)
    }

    private func holdEvent(_ hold: HoldRegistry.Hold, exhibit: Exhibit?, change: String, by actor: Actor)
        -> CustodyEvent {
        var caseRef: String?
        if case .case(let ref) = hold.target { caseRef = ref }
        return CustodyEvent(actor: actor, action: .hold, exhibit: exhibit?.id, caseID: caseRef,
                            objectSHA256: exhibit?.sha256.hex, reason: hold.reason,
                            details: ["change": change, "hold": hold.id])
    }
}
