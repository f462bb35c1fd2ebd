import Foundation

extension RedactionSpec {
    /// What a spec is checked against: the source's picture size and duration in seconds.
    public struct Bounds: Sendable, Equatable {
        public var width: Int
        public var height: Int
        public var duration: Double

        public init(width: Int, height: Int, duration: Double) {
            self.width = width
            self.height = height
            self.duration = duration
        }
    }

    /// Parses and checks a spec. Every problem is a `RedactionSpecError` naming the field (or, for
    /// malformed JSON, the line and column): unknown or repeated keys, a `reason` (given with
    /// `--reason` instead), wrong types, from >= to, times before 0 or past the end of the source, rectangles that are
    /// empty or leave the frame, keyframes out of order or outside their window, and the size limits.
    public static func parse(_ bytes: [UInt8], bounds: Bounds) throws -> RedactionSpec {
        guard bytes.count <= maxBytes else {
            throw RedactionSpecError("spec", "\(bytes.count) bytes is more than the limit of \(maxBytes)")
        }
        try SpecJSONSyntax.check(bytes)
        let root: Any
        do { root = try JSONSerialization.jsonObject(with: Data(bytes)) } catch {
            // The grammar was checked above: what is left is text that is not UTF-8.
            let why = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            throw RedactionSpecError("spec", "not valid JSON: \(why)")
        }
        var p = Parser(bounds: bounds)
        return try p.spec(root)
    }
}

/// Walks the JSON tree, knowing the path of the value at hand for error messages.
private struct Parser {
    let bounds: RedactionSpec.Bounds

    func object(_ value: Any, _ path: String, keys: Set<String>) throws -> [String: Any] {
        guard let o = value as? [String: Any] else {
            throw RedactionSpecError(path.isEmpty ? "spec" : path, "must be an object")
        }
        if let unknown = o.keys.sorted().first(where: { !keys.contains($0) }) {
            let allowed = keys.sorted().joined(separator: ", ")
            throw RedactionSpecError(path.isEmpty ? unknown : "\(path).\(unknown)",
                                     "unknown key (allowed: \(allowed))")
        }
        return o
    }

    func array(_ value: Any?, _ path: String, max: Int) throws -> [Any] {
        guard let a = value as? [Any] else { throw RedactionSpecError(path, "must be a list") }
        guard a.count <= max else { throw RedactionSpecError(path, "\(a.count) entries; at most \(max) allowed") }
        return a
    }

    func number(_ value: Any?, _ path: String) throws -> Double {
        guard let value else { throw RedactionSpecError(path, "is required") }
        // JSON true/false arrive as NSNumbers of type char ("c"); numbers never do.
        guard let n = value as? NSNumber, String(cString: n.objCType) != "c", n.doubleValue.isFinite else {
            throw RedactionSpecError(path, "must be a number")
        }
        return n.doubleValue
    }

    /// A time in source seconds: 0 <= t <= duration.
    func time(_ value: Any?, _ path: String) throws -> Double {
        let t = try number(value, path)
        guard t >= 0 else { throw RedactionSpecError(path, "\(t) is before the start of the source") }
        guard t <= bounds.duration + 1e-6 else {
            throw RedactionSpecError(path, "\(t) s is past the end of the source (\(bounds.duration) s)")
        }
        return t
    }

    func range(from: Any?, to: Any?, _ path: String) throws -> RedactionSpec.TimeRange {
        let a = try time(from, path + ".from"), b = try time(to, path + ".to")
        guard a < b else { throw RedactionSpecError(path, "from (\(a)) must be before to (\(b))") }
        return RedactionSpec.TimeRange(from: a, to: b)
    }

    func rect(_ value: Any?, _ path: String) throws -> RedactionSpec.Rect {
        guard let value else { throw RedactionSpecError(path, "is required") }
        guard let a = value as? [Any], a.count == 4 else { throw RedactionSpecError(path, "must be [x, y, w, h]") }
        var v = [Int]()
        for (i, name) in ["x", "y", "w", "h"].enumerated() {
            let n = try number(a[i], "\(path)[\(i)]")
            guard n == n.rounded(), abs(n) < 1e9 else {
                throw RedactionSpecError(path, "\(name) = \(n) is not a whole number of pixels")
            }
            v.append(Int(n))
        }
        let (x, y, w, h) = (v[0], v[1], v[2], v[3])
        guard x >= 0, y >= 0 else { throw RedactionSpecError(path, "x and y must not be negative (got \(x), \(y))") }
        guard w > 0, h > 0 else { throw RedactionSpecError(path, "w and h must be positive (got \(w), \(h))") }
        guard x + w <= bounds.width else {
            throw RedactionSpecError(path, "x + w = \(x + w) exceeds the frame width \(bounds.width)")
        }
        guard y + h <= bounds.height else {
            throw RedactionSpecError(path, "y + h = \(y + h) exceeds the frame height \(bounds.height)")
        }
        return RedactionSpec.Rect(x: x, y: y, width: w, height: h)
    }

    mutating func spec(_ root: Any) throws -> RedactionSpec {
        if let root = root as? [String: Any], root["reason"] != nil {
            // One reason, one place: the command's `--reason`, which the ledger records.
            throw RedactionSpecError("reason", "a spec says what to cut, hide and mute, not why: give it with "
                                     + "--reason (the ledger records that one) and remove it from the spec")
        }
        let o = try object(root, "", keys: ["clip", "blur", "mute"])
        var spec = RedactionSpec()
        if let clip = o["clip"] {
            guard let c = clip as? [Any], c.count == 2 else { throw RedactionSpecError("clip", "must be [start, end]") }
            let start = try time(c[0], "clip[0]"), end = try time(c[1], "clip[1]")
            guard start < end else { throw RedactionSpecError("clip", "start (\(start)) must be before end (\(end))") }
            spec.clip = RedactionSpec.TimeRange(from: start, to: end)
        }
        if let blur = o["blur"] {
            for (i, r) in try array(blur, "blur", max: RedactionSpec.maxRegions).enumerated() {
                spec.regions.append(try region(r, "blur[\(i)]"))
            }
        }
        if let mute = o["mute"] {
            for (i, m) in try array(mute, "mute", max: RedactionSpec.maxMutes).enumerated() {
                let path = "mute[\(i)]"
                let mo = try object(m, path, keys: ["from", "to"])
                spec.mutes.append(try range(from: mo["from"], to: mo["to"], path))
            }
        }
        return spec
    }

    func region(_ value: Any, _ path: String) throws -> RedactionSpec.Region {
        let o = try object(value, path, keys: ["from", "to", "rect", "style", "keyframes"])
        let window = try range(from: o["from"], to: o["to"], path)
        var style = RedactionSpec.Style.blur
        if let s = o["style"] {
            guard let text = s as? String, let parsed = RedactionSpec.Style(rawValue: text) else {
                throw RedactionSpecError(path + ".style", "must be \"blur\" or \"black\"")
            }
            style = parsed
        }
        var track = [(t: Double, rect: RedactionSpec.Rect)]()
        if o["rect"] != nil { track.append((window.from, try rect(o["rect"], path + ".rect"))) }
        if let keyframes = o["keyframes"] {
            let list = try array(keyframes, path + ".keyframes", max: RedactionSpec.maxKeyframes)
            for (i, k) in list.enumerated() {
                let kp = "\(path).keyframes[\(i)]"
                let ko = try object(k, kp, keys: ["t", "rect"])
                let t = try time(ko["t"], kp + ".t")
                guard t >= window.from && t <= window.to else {
                    throw RedactionSpecError(kp + ".t",
                                             "\(t) is outside the region's window [\(window.from), \(window.to)]")
                }
                if let previous = track.last, t <= previous.t {
                    throw RedactionSpecError(kp + ".t", "\(t) must be after the previous point (\(previous.t))")
                }
                track.append((t, try rect(ko["rect"], kp + ".rect")))
            }
        }
        guard !track.isEmpty else { throw RedactionSpecError(path + ".rect", "is required (or give keyframes)") }
        return RedactionSpec.Region(window: window, style: style, track: track)
    }
}
