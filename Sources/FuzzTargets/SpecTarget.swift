import MediaModel

/// The redaction spec parser: a spec it accepts must keep every promise the redactor relies on.
extension FuzzTarget {
    /// The frame and length of `Fixtures/bodycam-a.mp4`, which the seed spec was written for.
    static let specBounds = RedactionSpec.Bounds(width: 320, height: 240, duration: 4.0)

    static let redactionSpec = FuzzTarget(
        name: "redaction-spec", summary: "RedactionSpec.parse, and every accepted region's track inside the frame",
        dictionary: ["\"clip\"", "\"blur\"", "\"mute\"", "\"from\"", "\"to\"", "\"rect\"", "\"style\"", "\"black\"",
                     "\"keyframes\"", "\"t\"", "\"reason\"", "1e308", "-0", "NaN", "[", "]", "{", "}", ",", ":",
                     "\\u0000", "\\ud800", "null", "true", "0.5"]
    ) { bytes in
        let spec: RedactionSpec
        do { spec = try RedactionSpec.parse(bytes, bounds: specBounds) } catch let error as RedactionSpecError {
            let top = String(error.field.prefix { $0 != "[" && $0 != "." })
            return .refused(["spec", "clip", "blur", "mute", "reason"].contains(top) ? top : "unknown key")
        }
        try checkAccepted(spec)
        return .accepted
    }

    /// What `RedactionSpec.parse` promises of a spec it returns.
    static func checkAccepted(_ spec: RedactionSpec) throws {
        func inSource(_ range: RedactionSpec.TimeRange, _ what: String) throws {
            guard range.from >= 0, range.from < range.to, range.to <= specBounds.duration + 1e-6 else {
                throw FuzzFailure("accepted \(what) \(range.from)..<\(range.to) outside the source")
            }
        }
        if let clip = spec.clip { try inSource(clip, "clip") }
        for mute in spec.mutes { try inSource(mute, "mute") }
        guard spec.regions.count <= RedactionSpec.maxRegions, spec.mutes.count <= RedactionSpec.maxMutes else {
            throw FuzzFailure("accepted \(spec.regions.count) regions and \(spec.mutes.count) mutes")
        }
        for (i, region) in spec.regions.enumerated() {
            try inSource(region.window, "blur[\(i)]")
            guard zip(region.track, region.track.dropFirst()).allSatisfy({ $0.t < $1.t }) else {
                throw FuzzFailure("blur[\(i)]: keyframes out of order were accepted")
            }
            // The rectangle the redactor paints, at the window's edges, at every keyframe and between.
            let w = region.window
            let times = [w.from, (w.from + w.to) / 2, w.to.nextDown] + region.track.map(\.t)
            for t in times where w.contains(t) {
                guard let r = region.rect(at: t) else { throw FuzzFailure("blur[\(i)] has no rectangle at \(t)") }
                guard r.x >= 0, r.y >= 0, r.width > 0, r.height > 0, r.x + r.width <= specBounds.width,
                      r.y + r.height <= specBounds.height else {
                    throw FuzzFailure("blur[\(i)] at \(t) is \(r), outside the frame")
                }
            }
        }
    }
}
