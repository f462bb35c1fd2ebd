import Foundation

/// How many refused access attempts (without a valid token, or of one dock) get a ledger event
/// each. Every attempt is counted, but a peer without a token, or a dock gone wrong, could otherwise
/// grow the append-only ledger without bound (about 2 KB an event). So at most `burst` attempts are
/// recorded one by one per `window`; the rest are counted by peer address and recorded as one summary
/// event once the window has ended (by the sweeper, or by the next refusal). At most `maxPeers`
/// addresses are told apart in a summary; the attempts of any others are summed.
final class RefusalBudget: @unchecked Sendable {
    /// Attempts of one window that were counted, not recorded one by one.
    struct Summary: Equatable {
        var attempts = 0
        var byPeer: [String: Int] = [:]
        var otherPeers = 0

        /// Counts `n` attempts from `peer`, by name while fewer than `maxPeers` are named.
        mutating func add(_ n: Int, from peer: String) {
            attempts += n
            if byPeer[peer] != nil || byPeer.count < RefusalBudget.maxPeers {
                byPeer[peer, default: 0] += n
            } else {
                otherPeers += n
            }
        }

        /// Ledger event details: the total, the window, and the peers with the most attempts.
        func details(window: Double) -> [String: String] {
            let top = byPeer.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.prefix(10)
            var d = ["attempts": String(attempts), "window_seconds": String(Int(window)),
                     "peers": top.map { "\($0.key)=\($0.value)" }.joined(separator: ",")]
            let rest = attempts - top.reduce(0) { $0 + $1.value }
            if rest > 0 { d["attempts_from_other_peers"] = String(rest) }
            return d
        }
    }

    let burst: Int
    let window: Double
    static let maxPeers = 256
    private let lock = NSLock()
    private var windowStart: Double?
    private var recorded = 0
    private var pending = Summary()

    init(burst: Int, window: Double) {
        self.burst = burst
        self.window = window
    }

    /// Whether this attempt gets an event of its own, and the summary of an ended window to record
    /// first, if it left one.
    func admit(peer: String, now: Double) -> (record: Bool, summary: Summary?) {
        lock.lock()
        defer { lock.unlock() }
        let summary = endWindowIfOver(now)
        if windowStart == nil { windowStart = now }
        if recorded < burst {
            recorded += 1
            return (true, summary)
        }
        pending.add(1, from: peer)
        return (false, summary)
    }

    /// The summary of the window, if it has ended with attempts not recorded one by one; with
    /// `force` (the service is stopping), of the open window too.
    func endedWindow(now: Double, force: Bool = false) -> Summary? {
        lock.lock()
        defer { lock.unlock() }
        return endWindowIfOver(force ? .infinity : now)
    }

    /// Puts back a summary that could not be recorded, to go into the next one.
    func restore(_ summary: Summary) {
        lock.lock()
        defer { lock.unlock() }
        if windowStart == nil { windowStart = 0 }  // ended already: the next look records it
        for (peer, n) in summary.byPeer { pending.add(n, from: peer) }
        pending.attempts += summary.otherPeers
        pending.otherPeers += summary.otherPeers
    }

    private func endWindowIfOver(_ now: Double) -> Summary? {
        guard let start = windowStart, now - start >= window else { return nil }
        let ended = pending
        windowStart = nil
        recorded = 0
        pending = Summary()
        return ended.attempts > 0 ? ended : nil
    }
}

/// One `RefusalBudget` per registered dock, for its refused requests: no dock (or a stolen token)
/// can grow the ledger without bound, nor use up another dock's events. Only registered docks get a
/// budget, so their number is bounded by the registry.
final class DockRefusals: @unchecked Sendable {
    let burst: Int
    let window: Double
    private let lock = NSLock()
    private var budgets: [String: RefusalBudget] = [:]

    init(burst: Int, window: Double) {
        self.burst = burst
        self.window = window
    }

    func budget(_ dock: String) -> RefusalBudget {
        lock.lock()
        defer { lock.unlock() }
        if let budget = budgets[dock] { return budget }
        let budget = RefusalBudget(burst: burst, window: window)
        budgets[dock] = budget
        return budget
    }

    /// The summaries of every dock's ended window (`now` infinite: of the open ones too).
    func endedWindows(now: Double) -> [(dock: String?, summary: RefusalBudget.Summary)] {
        lock.lock()
        let all = budgets.sorted { $0.key < $1.key }
        lock.unlock()
        return all.compactMap { dock, budget in budget.endedWindow(now: now).map { (dock, $0) } }
    }
}
