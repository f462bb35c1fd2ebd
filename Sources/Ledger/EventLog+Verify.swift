import CustodyCore
import SQLite

/// What `EventLog.verify` found.
public struct LedgerReport: Sendable {
    /// Events in the log.
    public var size: UInt64 = 0
    /// Root recomputed from the events' own bytes.
    public var root = Merkle.emptyRoot
    public var checkpointsChecked = 0
    public var externalCheckpointsChecked = 0
    /// Events after the newest stored checkpoint (normal for up to a second while the service runs).
    public var uncovered: UInt64 = 0
    /// Every problem, the first event or checkpoint that does not match first.
    public var problems: [String] = []
    public var isIntact: Bool { problems.isEmpty }
}

extension EventLog {
    /// A signed root the rebuilt tree must reach at its size.
    typealias Target = (label: String, root: SHA256Digest)

    /// The append-only triggers, each with its statement as created (whitespace collapsed): a trigger
    /// with the right name that does something else (`WHEN 0`, another table) counts as removed.
    static let appendOnlyTriggers: [String: String] = {
        var triggers = [String: String]()
        for (table, message) in [("events", "custody events are append-only"),
                                 ("ledger_hashes", "the ledger tree is append-only"),
                                 ("checkpoints", "checkpoints are append-only")] {
            for operation in ["UPDATE", "DELETE"] {
                let name = "\(table)_no_\(operation.lowercased())"
                triggers[name] = "CREATE TRIGGER \(name) BEFORE \(operation) ON \(table) "
                    + "BEGIN SELECT RAISE(ABORT, '\(message)'); END"
            }
        }
        return triggers
    }()

    static func collapsingWhitespace(_ sql: String) -> String {
        sql.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }).joined(separator: " ")
    }

    /// Recomputes every leaf from the event rows and the whole tree from the leaves, and checks it
    /// against the stored tree, every stored checkpoint (signature, numbering, root) and every
    /// `external` checkpoint note (copies kept elsewhere). Trusts nothing stored but the public key.
    public func verify(verifier: NoteVerifier, external: [(label: String, note: String)] = [],
                       progress: ((UInt64, UInt64) -> Void)? = nil) throws -> LedgerReport {
        var report = LedgerReport()
        try db.readTransaction {  // one snapshot of all three tables
            var existing = [String: String]()
            for row in try db.query("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'") {
                if let name = row.text(0) { existing[name] = row.text(1).map(Self.collapsingWhitespace) }
            }
            for (name, statement) in Self.appendOnlyTriggers.sorted(by: { $0.key < $1.key }) {
                if existing[name] == nil {
                    report.problems.append("the append-only trigger \(name) has been removed from the database")
                } else if existing[name] != statement {
                    report.problems.append("the append-only trigger \(name) has been replaced by one that does "
                                           + "something else")
                }
            }
            var targets = try checkpointTargets(verifier: verifier, external: external, report: &report)
            let total = try size()
            try scan(total: total, targets: &targets, report: &report, progress: progress)
            for (size, labels) in targets.sorted(by: { $0.key < $1.key }) {
                for label in labels.map(\.label) {
                    report.problems.append("\(label) covers \(size) events but the log has only \(report.size): "
                                           + "events were deleted")
                }
            }
            report.uncovered = report.size - min(report.size, try latestCheckpoint()?.size ?? 0)
        }
        return report
    }

    /// Parses and signature-checks every stored and external checkpoint; returns them by tree size.
    private func checkpointTargets(verifier: NoteVerifier, external: [(label: String, note: String)],
                                   report: inout LedgerReport) throws -> [UInt64: [Target]] {
        var targets = [UInt64: [Target]]()
        var previous: StoredCheckpoint?
        for stored in try checkpoints() {
            let label = "checkpoint \(stored.number)"
            if stored.number != (previous?.number ?? 0) + 1 {
                report.problems.append("checkpoint \((previous?.number ?? 0) + 1) is missing: checkpoints were deleted")
            }
            if let previous, stored.size <= previous.size {
                report.problems.append("\(label) (size \(stored.size)) is not newer than checkpoint \(previous.number)")
            }
            previous = stored
            do {
                let cp = try Checkpoint.open(stored.note, verifier: verifier)
                guard cp.size == stored.size else {
                    report.problems.append("\(label): its row says size \(stored.size), its signed text \(cp.size)")
                    continue
                }
                targets[cp.size, default: []].append((label, cp.root))
                report.checkpointsChecked += 1
            } catch let e as CustodyError {
                report.problems.append("\(label): \(e.message)")
            }
        }
        for (label, note) in external {
            do {
                let cp = try Checkpoint.open(note, verifier: verifier)
                targets[cp.size, default: []].append((label, cp.root))
                report.externalCheckpointsChecked += 1
            } catch let e as CustodyError where e.kind == .integrity {
                report.problems.append("\(label): \(e.message)")
            } catch let e as CustodyError {
                throw CustodyError(e.kind, "\(label): \(e.message)")  // not a checkpoint at all: bad input
            }
        }
        return targets
    }

    /// Streams the events and the stored hashes side by side (both in append order), rebuilding the
    /// tree in a stack of complete subtrees and comparing roots wherever a checkpoint was taken. Every
    /// row whose leaf differs from the stored leaf is named; the stored interior hashes are compared
    /// up to the first difference (after it they differ anyway, and the checkpoints still judge the rows).
    private func scan(total: UInt64, targets: inout [UInt64: [Target]],
                      report: inout LedgerReport, progress: ((UInt64, UInt64) -> Void)?) throws {
        let events = try db.prepare("SELECT \(Self.columns) FROM events ORDER BY seq")
        var stored = StoredHashCursor(try db.prepare("SELECT id, hash FROM ledger_hashes ORDER BY id"))
        defer { events.reset(); stored.reset() }
        var treeIntact = true
        var stack = [SHA256Digest]()
        var n: UInt64 = 0
        while let row = try events.next() {
            guard row.int(0) == Int64(n) else {
                report.problems.append(row.int(0).map { $0 > Int64(n) ? "event \(n) is missing: it was deleted"
                                                                      : "event \($0) is out of order" }
                                       ?? "event \(n) has no valid sequence number")
                return
            }
            let event: CustodyEvent
            do { event = try Self.decode(row) } catch let e as CustodyError {
                report.problems.append(e.message)
                return
            }
            var node = Merkle.leafHash(event.leafBytes)
            if try stored.hash(id: TreeStorage.storedIndex(level: 0, index: n)) != node.bytes {
                treeIntact = false
                report.problems.append("event \(n) does not match the tree: the row was changed, inserted or moved")
            }
            var index = n, level = 0
            while index & 1 == 1 {
                node = Merkle.nodeHash(stack.removeLast(), node)
                level += 1
                index >>= 1
                if treeIntact, try stored.hash(id: TreeStorage.storedIndex(level: level, index: index)) != node.bytes {
                    treeIntact = false
                    report.problems.append("the stored tree hash at level \(level) index \(index) does not match "
                                           + "the events")
                }
            }
            stack.append(node)
            n += 1
            report.size = n
            if let due = targets.removeValue(forKey: n) {
                let root = Self.root(of: stack)
                for (label, expected) in due where expected != root {
                    report.problems.append("\(label) (size \(n)) does not match the log: an event at or before "
                                           + "\(n - 1) was changed, or the log was rewritten after it was signed")
                }
            }
            if n % 4096 == 0 { progress?(n, total) }
        }
        report.root = Self.root(of: stack)
        if treeIntact, try stored.hasMore(after: TreeStorage.storedCount(size: n) - 1) {
            report.problems.append("the tree holds hashes past event \(Int64(n) - 1): events were deleted")
        }
        progress?(n, total)
    }

    /// The root of a tree held as its complete subtrees, largest (leftmost) first.
    static func root(of stack: [SHA256Digest]) -> SHA256Digest {
        guard let last = stack.last else { return Merkle.emptyRoot }
        return stack.dropLast().reversed().reduce(last) { Merkle.nodeHash($1, $0) }
    }
}

/// Reads `ledger_hashes` in id order, one pass, for a caller that asks for ascending ids and may skip some.
private struct StoredHashCursor {
    let statement: Statement
    var current: Row?
    var started = false

    init(_ statement: Statement) { self.statement = statement }

    /// The stored hash with `id`, or nil when there is none (or it is not a hash).
    mutating func hash(id: Int64) throws -> [UInt8]? {
        if !started { current = try statement.next(); started = true }
        while let row = current, let rowID = row.int(0), rowID < id { current = try statement.next() }
        guard let row = current, row.int(0) == id else { return nil }
        return row.blob(1)
    }

    /// Whether a row with an id greater than `id` is stored.
    mutating func hasMore(after id: Int64) throws -> Bool {
        _ = try hash(id: id + 1)
        return current != nil
    }

    func reset() { statement.reset() }
}
