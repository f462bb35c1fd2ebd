import Catalog
import CustodyCore
import Foundation

/// What Object Lock each chunk needs, from retention's decisions: a pure function, like `RetentionPlan`.
///
/// - **Retention date.** An exhibit's chunks are locked at least until its rule's end (`RetentionDecision.due`:
///   its category's period, or its parent's where that is longer). An exhibit kept beyond that date without an
///   end of its own (in an open case, something derived from it held or in an open case, its parent kept, times
///   that cannot be read) is locked `ahead` from now, renewed once less than `ahead - renew` is left.
/// - **Legal hold.** On the chunks of every exhibit a standing hold keeps (on it or its case), and of what it is
///   derived from (the original a court may ask for).
/// - A chunk several exhibits share gets the latest date any needs and a hold if any is held. Deleted exhibits need
///   nothing. A date is only ever moved later (`work`): a shorter rule leaves the date the store has.
public enum LockPlan {
    public struct Target: Sendable, Equatable {
        /// The store's date must be at least this (Unix seconds); nil: no date needed.
        public var requiredBy: Int64?
        /// When it is not, the date to set (at least `requiredBy`).
        public var extendTo: Int64?
        public var hold: Bool
    }

    /// How far ahead an exhibit kept without an end date is locked, and how much of that may pass before renewal.
    public static let ahead: Int64 = 31 * 86_400
    public static let renew: Int64 = 7 * 86_400

    /// Each live exhibit's target, by exhibit ID.
    public static func exhibitTargets(_ facts: [RetentionFacts], _ decisions: [RetentionDecision], now: Int64)
        -> [String: Target] {
        let held = heldWithAncestors(facts)
        var targets = [String: Target]()
        for d in decisions {
            var target = Target(requiredBy: d.due, extendTo: d.due, hold: held.contains(d.exhibit.id))
            switch d.verdict {
            case .deleted: continue
            case .keep where !target.hold && (d.due.map { now >= $0 } ?? true):
                target.requiredBy = max(d.due ?? 0, now + ahead - renew)
                target.extendTo = max(d.due ?? 0, now + ahead)
            case .keep, .delete: break
            }
            targets[d.exhibit.id] = target
        }
        return targets
    }

    /// Each chunk's target over the exhibits that use it (`uses`: exhibit ID and chunk, one pair per use).
    public static func chunkTargets(_ uses: [(exhibit: String, chunk: SHA256Digest)], _ exhibits: [String: Target])
        -> [SHA256Digest: Target] {
        var targets = [SHA256Digest: Target]()
        for use in uses {
            guard let t = exhibits[use.exhibit] else { continue }
            var chunk = targets[use.chunk] ?? Target(requiredBy: nil, extendTo: nil, hold: false)
            chunk.requiredBy = [chunk.requiredBy, t.requiredBy].compactMap { $0 }.max()
            chunk.extendTo = [chunk.extendTo, t.extendTo].compactMap { $0 }.max()
            chunk.hold = chunk.hold || t.hold
            targets[use.chunk] = chunk
        }
        return targets
    }

    /// What to ask of the store for a chunk whose lock is `applied` (nil target: no exhibit needs it any more):
    /// a later date, or nil; a change of legal hold, or nil.
    public static func work(_ target: Target?, applied: ChunkLockRegistry.Applied)
        -> (extendTo: Int64?, hold: Bool?) {
        var extend: Int64?
        if let required = target?.requiredBy, (applied.retainUntil ?? 0) < required {
            extend = max(required, target?.extendTo ?? required)
        }
        let hold = target?.hold ?? false
        return (extend, hold == applied.legalHold ? nil : hold)
    }

    /// The exhibits with a standing hold, and every exhibit they derive from.
    static func heldWithAncestors(_ facts: [RetentionFacts]) -> Set<String> {
        var bySHA = [SHA256Digest: RetentionFacts]()
        for f in facts { bySHA[f.exhibit.sha256] = f }
        var held = Set<String>()
        for f in facts where !f.deleted && !f.holds.isEmpty {
            var next: RetentionFacts? = f
            while let current = next, held.insert(current.exhibit.id).inserted {
                next = current.exhibit.parentSHA256.flatMap { bySHA[$0] }
            }
        }
        return held
    }
}
