import CustodyCore
import Foundation
import Ledger

/// The timeline drawn as an inline SVG: one lane per kind of access, each event a mark at its time
/// (a circle when it went through, a square when refused, a triangle when it failed; coloured so too),
/// labelled with its leaf index. Marks closer than their width are set side by side in time order,
/// so none hides another; a lane with more marks than fit so keeps each at its time, overlapping,
/// and labels those with room. The axis below gives the times, the table under the chart every event.
struct TimelineChart {
    struct Lane {
        let title: String
        let actions: Set<CustodyEvent.Action>
    }

    static let lanes = [
        Lane(title: "ingest, redact", actions: [.ingest, .redact, .upload]),
        Lane(title: "view, verify", actions: [.view, .verify]),
        Lane(title: "export", actions: [.export]),
        Lane(title: "case, bundle", actions: [.link, .share]),
        Lane(title: "download", actions: [.download]),
        Lane(title: "other", actions: Set(CustodyEvent.Action.allCases).subtracting(
            [.ingest, .redact, .upload, .view, .verify, .export, .link, .share, .download])),
    ]

    static let colours: [CustodyEvent.Outcome: String] = [.ok: "#2e7d32", .refused: "#c62828", .failed: "#e65100"]

    // Geometry, in the SVG's own units (it scales to the page's width).
    static let width = 720.0, left = 96.0, right = 14.0, top = 8.0, laneHeight = 30.0, axisHeight = 34.0
    static let legendHeight = 18.0

    let events: [CustodyEvent]

    /// The SVG element, or a sentence when there is nothing to draw.
    var svg: String {
        let used = Self.lanes.filter { lane in events.contains { lane.actions.contains($0.action) } }
        guard !used.isEmpty else { return "<p class=\"muted\">No events.</p>" }
        let times = events.compactMap { Timestamp.parse($0.time)?.timeIntervalSince1970 }
        let axis = TimeAxis(from: times.min() ?? 0, to: times.max() ?? 0)
        let plotWidth = Self.width - Self.left - Self.right
        let height = Self.top + Double(used.count) * Self.laneHeight + Self.axisHeight + Self.legendHeight
        var out = "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" "
            + "viewBox=\"0 0 \(Self.width) \(n(height))\" aria-labelledby=\"timeline-title\">\n"
            + "<title id=\"timeline-title\">Timeline of \(events.count) custody events</title>\n"
        let axisY = Self.top + Double(used.count) * Self.laneHeight
        for (i, lane) in used.enumerated() {
            let y = Self.top + Double(i) * Self.laneHeight + Self.laneHeight / 2 + 4
            if i % 2 == 0 {
                out += rect(Self.left, y - Self.laneHeight / 2 - 4, plotWidth, Self.laneHeight, fill: "#f3f6f9")
            }
            out += text(Self.left - 6, y + 3, lane.title, anchor: "end", cls: "lane")
            let laneEvents = events.filter { lane.actions.contains($0.action) }
            out += marks(laneEvents, y: y, axis: axis, plotWidth: plotWidth)
        }
        out += line(Self.left, axisY, Self.width - Self.right, axisY, stroke: "#44515f")
        for tick in axis.ticks {
            let x = Self.left + axis.position(tick.time) * plotWidth
            out += line(x, axisY, x, axisY + 4, stroke: "#44515f")
            out += text(x, axisY + 14, tick.label, anchor: "middle", cls: "tick")
        }
        out += text(Self.left, axisY + 27, axis.caption, anchor: "start", cls: "tick")
        out += legend(y: axisY + Self.axisHeight + 8)
        return out + "</svg>"
    }

    /// One lane's marks, each at its time or just right of the one before, labelled with its leaf index.
    private func marks(_ laneEvents: [CustodyEvent], y: Double, axis: TimeAxis, plotWidth: Double) -> String {
        var out = "", previous = -Double.infinity, labelled = -Double.infinity
        let gaps = laneEvents.map { max(12, Double(String($0.seq).count) * 5.6 + 6) }
        // More marks than fit side by side: each at its own time, overlapping where they must.
        let crowded = gaps.reduce(0, +) > plotWidth
        for (event, gap) in zip(laneEvents, gaps) {
            let label = String(event.seq)
            let at = Timestamp.parse(event.time).map { axis.position($0.timeIntervalSince1970) } ?? 0
            let x = crowded ? Self.left + at * plotWidth
                : min(max(Self.left + at * plotWidth, previous + gap), Self.width - Self.right)
            previous = x
            let colour = Self.colours[event.outcome] ?? "#000"
            let tip = "#\(event.seq) \(event.time) \(event.actor.kind.rawValue) \(event.actor.id) "
                + "\(event.action.rawValue) \(event.outcome.rawValue)" + (event.reason.map { ": \($0)" } ?? "")
            out += "<g><title>\(HTMLText.escape(tip))</title>"
            switch event.outcome {
            case .ok: out += "<circle cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"4.5\" fill=\"\(colour)\"/>"
            case .refused: out += rect(x - 4, y - 4, 8, 8, fill: colour)
            case .failed:
                out += "<path d=\"M\(n(x)) \(n(y - 5))L\(n(x + 5)) \(n(y + 4))L\(n(x - 5)) \(n(y + 4))Z\" "
                    + "fill=\"\(colour)\"/>"
            }
            // Marks piled at the right edge (a long timeline) keep only the labels that have room.
            if x - labelled >= gap - 0.5 {
                out += text(x, y - 8, label, anchor: "middle", cls: "seq")
                labelled = x
            }
            out += "</g>\n"
        }
        return out
    }

    private func legend(y: Double) -> String {
        var out = text(Self.left - 6, y + 3, "outcome", anchor: "end", cls: "lane")
        var x = Self.left + 6
        for (outcome, word) in [(CustodyEvent.Outcome.ok, "ok"), (.refused, "refused"), (.failed, "failed")] {
            let colour = Self.colours[outcome] ?? "#000"
            switch outcome {
            case .ok: out += "<circle cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"4.5\" fill=\"\(colour)\"/>"
            case .refused: out += rect(x - 4, y - 4, 8, 8, fill: colour)
            case .failed: out += "<path d=\"M\(n(x)) \(n(y - 5))L\(n(x + 5)) \(n(y + 4))L\(n(x - 5)) \(n(y + 4))Z\" "
                + "fill=\"\(colour)\"/>"
            }
            out += text(x + 9, y + 3, word, anchor: "start", cls: "tick")
            x += 74
        }
        return out + text(x + 10, y + 3, "numbers: leaf index (seq) in the ledger", anchor: "start", cls: "tick")
    }

    private func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String) -> String {
        "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(w))\" height=\"\(n(h))\" fill=\"\(fill)\"/>"
    }

    private func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String) -> String {
        "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(stroke)\"/>\n"
    }

    private func text(_ x: Double, _ y: Double, _ s: String, anchor: String, cls: String) -> String {
        "<text x=\"\(n(x))\" y=\"\(n(y))\" text-anchor=\"\(anchor)\" class=\"\(cls)\">\(HTMLText.escape(s))</text>"
    }

    /// A coordinate with at most one decimal.
    private func n(_ v: Double) -> String { String(format: "%.1f", v) }
}
