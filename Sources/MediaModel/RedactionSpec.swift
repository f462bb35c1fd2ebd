/// What to cut, hide and silence when making a derived exhibit. Parsed from JSON by
/// `RedactionSpec.parse`, which checks it against the source's frame size and duration.
///
/// The JSON format (every key is checked; unknown keys are rejected):
///
/// ```
/// {
///   "clip": [1.0, 2.5],                                   optional [start, end] seconds of the source
///   "blur": [                                             optional, at most 256 regions
///     {"from": 1.0, "to": 2.0, "rect": [x, y, w, h],      times in source seconds, rect in pixels as shown
///      "style": "blur" | "black",                         default "blur"
///      "keyframes": [{"t": 1.5, "rect": [x, y, w, h]}]}   optional, at most 1024, t increasing
///   ],
///   "mute": [{"from": 2.0, "to": 3.0}]                    optional, at most 256 ranges
/// }
/// ```
///
/// Why the redaction is made is not part of the spec: it is given with the command (`--reason`) and
/// recorded in the ledger. Times are relative to the source, not to the clip. A region is applied to the frames whose
/// timestamp t satisfies from <= t < to; a mute silences the samples in [from, to).
/// A region's track is `rect` at `from` (when given) followed by its keyframes; between two points the
/// rectangle moves linearly (each edge rounded to the nearest pixel), before the first point and after
/// the last it stays put. A region needs `rect`, or keyframes, or both. Rectangles may have odd
/// sizes: the chroma planes are covered for every chroma sample the rectangle touches, so no colour
/// fringe of the hidden content is left at the edges.
public struct RedactionSpec: Sendable, Equatable {
    /// The part of the source to keep; nil keeps all of it.
    public var clip: TimeRange?
    public var regions: [Region]
    public var mutes: [TimeRange]

    public init(clip: TimeRange? = nil, regions: [Region] = [], mutes: [TimeRange] = []) {
        self.clip = clip
        self.regions = regions
        self.mutes = mutes
    }

    /// Limits that keep a hostile spec from costing more than a redaction should.
    public static let maxBytes = 1 << 20
    public static let maxRegions = 256
    public static let maxKeyframes = 1024
    public static let maxMutes = 256

    /// A half-open interval [from, to) of source seconds.
    public struct TimeRange: Sendable, Equatable {
        public var from: Double
        public var to: Double

        public init(from: Double, to: Double) {
            self.from = from
            self.to = to
        }

        public func contains(_ t: Double) -> Bool { t >= from && t < to }
    }

    /// A rectangle in pixels of the picture as shown (after its display rotation): left, top, width, height.
    public struct Rect: Sendable, Equatable {
        public var x: Int
        public var y: Int
        public var width: Int
        public var height: Int

        public init(x: Int, y: Int, width: Int, height: Int) {
            self.x = x
            self.y = y
            self.width = width
            self.height = height
        }

        /// The rectangle `fraction` of the way from `self` to `other`, each edge rounded to a pixel.
        func interpolated(to other: Rect, fraction f: Double) -> Rect {
            func mix(_ a: Int, _ b: Int) -> Int { Int((Double(a) + Double(b - a) * f).rounded()) }
            let left = mix(x, other.x), top = mix(y, other.y)
            let right = mix(x + width, other.x + other.width), bottom = mix(y + height, other.y + other.height)
            return Rect(x: left, y: top, width: right - left, height: bottom - top)
        }
    }

    public enum Style: String, Sendable, Equatable {
        /// Pixelated with large blocks, then box-blurred: no face or plate survives it.
        case blur
        /// Filled with video black (Y=16, U=V=128).
        case black
    }

    /// One hidden area during a time window, fixed or following someone through keyframes.
    public struct Region: Sendable, Equatable {
        public var window: TimeRange
        public var style: Style
        /// The track: (time, rect) points with strictly increasing times, at least one.
        public var track: [(t: Double, rect: Rect)]

        public init(window: TimeRange, style: Style, track: [(t: Double, rect: Rect)]) {
            precondition(!track.isEmpty, "a region needs at least one rectangle")
            self.window = window
            self.style = style
            self.track = track
        }

        /// The rectangle to hide at source time `t`, or nil outside the region's window.
        public func rect(at t: Double) -> Rect? {
            guard window.contains(t) else { return nil }
            guard let first = track.first, t > first.t else { return track.first?.rect }
            guard let last = track.last, t < last.t else { return track.last?.rect }
            // The last point at or before t; the track is short enough for a linear scan to be cheap,
            // but regions may have 1024 keyframes, so search.
            var lo = 0, hi = track.count - 1
            while hi - lo > 1 {
                let mid = (lo + hi) / 2
                if track[mid].t <= t { lo = mid } else { hi = mid }
            }
            let a = track[lo], b = track[hi]
            return a.rect.interpolated(to: b.rect, fraction: (t - a.t) / (b.t - a.t))
        }

        public static func == (l: Region, r: Region) -> Bool {
            l.window == r.window && l.style == r.style && l.track.count == r.track.count
                && zip(l.track, r.track).allSatisfy { $0.t == $1.t && $0.rect == $1.rect }
        }
    }
}

/// A spec that cannot be used, with the path of the offending field, e.g.
/// `blur[1].keyframes[0].rect: x + w = 400 exceeds the frame width 320`.
public struct RedactionSpecError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Where in the spec: `clip`, `blur[0].to`, `mute[2]`, or `spec` for the document as a whole.
    public let field: String
    public let message: String

    public init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}
