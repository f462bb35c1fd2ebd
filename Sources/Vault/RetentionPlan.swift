import Catalog
import CustodyCore
import Foundation

/// What retention knows of one exhibit when it decides whether to keep it.
public struct RetentionFacts: Sendable {
    public let exhibit: Exhibit
    /// The category it was put in; nil when nobody categorised it (the default, or for a derived
    /// exhibit its parent's).
    public let category: RetentionRegistry.Category?
    /// The standing holds that keep it (on it, or on a case it is in), as `HD-000001 (reason)`.
    public let holds: [String]
    /// The open cases it is in.
    public let openCases: [String]
    /// Deleted already (restorable or purged).
    public let deleted: Bool
}

/// Retention's verdict on one exhibit.
public struct RetentionDecision: Sendable, Equatable {
    public enum Verdict: Sendable, Equatable {
        /// Kept, and why.
        case keep(String)
        /// Due: to be deleted.
        case delete
        /// Deleted already.
        case deleted
    }

    public let exhibit: Exhibit
    /// The category whose period applies (`non-evidential` unless categorised; a derived exhibit's
    /// parent's unless categorised itself).
    public let category: String
    /// When its retention period ends, in Unix seconds; nil when its times cannot be read.
    public let due: Int64?
    public let verdict: Verdict
}

/// The retention rules, as one pure function. Every rule that applies keeps the exhibit, so the
/// longest wins: a standing hold (on it or its case), an open case it is in, a derived exhibit of it
/// that is held or in an open case (the original a court may ask for), its parent being kept (a
/// derived exhibit follows its parent), and its category's period from the later of its capture and its
/// ingest (`startTime`). A derived exhibit's period is its parent's, or its own category's
/// where that is longer. Only when none keeps it is it due.
public enum RetentionPlan {
    /// Decides for each of `facts`, which are in catalog order (a parent before what is derived from it).
    public static func decide(_ facts: [RetentionFacts], now: Int64,
                              defaultCategory: String = RetentionRegistry.defaultCategory,
                              defaultKeep: Int64 = RetentionRegistry.defaultKeepSeconds) -> [RetentionDecision] {
        var index = [SHA256Digest: Int]()
        for (i, f) in facts.enumerated() { index[f.exhibit.sha256] = i }
        let keptForDerived = protectedAncestors(facts, index: index)
        var decisions = [RetentionDecision]()
        for (i, f) in facts.enumerated() {
            let parent = f.exhibit.parentSHA256.flatMap { index[$0] }.map { decisions[$0] }
            let start = startTime(of: f.exhibit)
            var category = parent?.category ?? defaultCategory
            var own: Int64? = parent == nil ? start.map { $0 + defaultKeep } : nil
            if let c = f.category {
                category = c.name
                own = start.map { $0 + c.keepSeconds }
            }
            let due = [own, parent?.due].compactMap { $0 }.max()
            let verdict: RetentionDecision.Verdict
            if f.deleted {
                verdict = .deleted
            } else if !f.holds.isEmpty {
                verdict = .keep("on hold: " + f.holds.joined(separator: ", "))
            } else if !f.openCases.isEmpty {
                verdict = .keep("in open case " + f.openCases.joined(separator: ", "))
            } else if let why = keptForDerived[i] {
                verdict = .keep(why)
            } else if let parent, case .keep = parent.verdict {
                verdict = .keep("follows its parent \(parent.exhibit.id), which is kept")
            } else if let due, now < due {
                verdict = .keep("\(category) until \(Timestamp.rfc3339(Date(timeIntervalSince1970: Double(due))))")
            } else if due == nil {
                verdict = .keep("its capture and ingest times cannot be read")
            } else {
                verdict = .delete
            }
            decisions.append(RetentionDecision(exhibit: f.exhibit, category: category, due: due, verdict: verdict))
        }
        return decisions
    }

    /// For each exhibit that something derived from it keeps (held or in an open case), why.
    private static func protectedAncestors(_ facts: [RetentionFacts], index: [SHA256Digest: Int]) -> [Int: String] {
        var kept = [Int: String]()
        for f in facts where !f.deleted && (!f.holds.isEmpty || !f.openCases.isEmpty) {
            let why = "\(f.exhibit.id), derived from it, is " + (f.holds.isEmpty ? "in an open case" : "on hold")
            var next = f.exhibit.parentSHA256
            var seen = Set<Int>()
            while let sha = next, let j = index[sha], seen.insert(j).inserted {
                if kept[j] == nil { kept[j] = why }
                next = facts[j].exhibit.parentSHA256
            }
        }
        return kept
    }

    /// When the exhibit's retention period starts: the later of its capture and its ingest. The capture
    /// time comes from the camera or dock (a clock reset by a flat battery says 1970), so it can only
    /// make the period start later, never before the vault had the recording: nothing is due before
    /// anyone could categorise or hold it.
    static func startTime(of exhibit: Exhibit) -> Int64? {
        [exhibit.capturedAt, exhibit.ingestedAt].compactMap { $0.flatMap(seconds) }.max()
    }

    /// An RFC 3339 time in whole Unix seconds, nil when it cannot be read.
    static func seconds(_ text: String) -> Int64? {
        Timestamp.parse(text).map { Int64($0.timeIntervalSince1970.rounded(.down)) }
    }

    /// How far the capture time lies from the ingest (seconds, negative: before) when more than
    /// `clockSkewNoted` either way: a camera clock that is wrong, or a recording docked late, which
    /// `retention run` reports since its period counts from the later of the two.
    public static func captureOffset(of exhibit: Exhibit) -> Int64? {
        guard let captured = exhibit.capturedAt.flatMap(seconds), let ingested = seconds(exhibit.ingestedAt),
              abs(captured - ingested) > clockSkewNoted else { return nil }
        return captured - ingested
    }

    /// A day: a body-worn camera is docked at the end of its shift.
    public static let clockSkewNoted: Int64 = 86_400
}

/// A retention period on the command line: `36h`, `31d`, `7y` (a year is 365 days), at most 100 years.
public enum RetentionPeriod {
    static let units: [(suffix: Character, seconds: Int64)] = [("y", 365 * 86_400), ("d", 86_400), ("h", 3_600)]

    public static func parse(_ text: String) throws -> Int64 {
        guard let unit = units.first(where: { text.last == $0.suffix }), let n = Int64(text.dropLast()), n > 0,
              n <= 100 * 365 * 86_400 / unit.seconds, text.first != "+" else {
            throw CustodyError.invalidInput(field: "--keep", "--keep must be a whole number of hours, days or years "
                                            + "(36h, 31d, 7y), at most 100y, not \(text.prefix(40))")
        }
        return n * unit.seconds
    }

    /// `31d`, `7y`, `36h`: the largest unit that divides it.
    public static func format(_ seconds: Int64) -> String {
        let unit = units.first { seconds % $0.seconds == 0 } ?? ("s", 1)
        return "\(seconds / unit.seconds)\(unit.suffix)"
    }
}
