import CFFmpeg
import MediaModel

/// The video half of a redaction: keeps the decoded frames whose time is in [clip.start, clip.end),
/// converts them to yuv420p if needed, hides the regions active at each frame's source time, and
/// re-encodes them with timestamps shifted so that source time `clip.start` is output time 0.
/// A frame's source time is its timestamp minus the recording's start (`InputFile.startTime`).
final class VideoTrack {
    let decoder: CodecContext
    let encoder: CodecContext
    let streamIndex: Int32
    let frameRate: AVRational
    /// One frame's duration in the encoder's time base, for the last packet's duration.
    let frameDuration: Int64
    private let timeBase: AVRational
    /// The recording's start in this stream's ticks: source time 0.
    private let originTS: Int64
    /// The first and the end of the kept timestamps: the clip is [startTS, endTS) in stream ticks.
    let startTS: Int64
    private let endTS: Int64
    private let regions: [RedactionSpec.Region]
    /// How the stored picture is shown: region rectangles are in the shown picture.
    private let orientation: Orientation
    private let scratch: Frame
    private let packet: Packet
    private var converter: PictureConverter?
    private var lastTS: Int64?
    private var wrotePacket = false
    private(set) var frames = 0
    /// True once a decoded frame reached the end of the clip.
    private(set) var done = false

    init(stream: UnsafeMutablePointer<AVStream>, origin: Int64, output: OutputFile, spec: RedactionSpec) throws {
        decoder = try CodecContext.decoder(for: stream)
        streamIndex = stream.pointee.index
        timeBase = stream.pointee.time_base
        let rates = [stream.pointee.avg_frame_rate, stream.pointee.r_frame_rate, decoder.context.pointee.framerate]
        frameRate = rates.first { $0.num > 0 && $0.den > 0 && $0.seconds < 1000 } ?? AVRational(num: 30, den: 1)
        encoder = try .h264Encoder(like: decoder, timeBase: timeBase, frameRate: frameRate,
                                   globalHeader: output.wantsGlobalHeader)
        frameDuration = max(1, av_rescale_q(1, av_inv_q(frameRate), timeBase))
        let perSecond = Double(timeBase.den) / Double(timeBase.num)
        let zero = av_rescale_q(origin, custody_av_time_base_q(), timeBase)
        originTS = zero
        startTS = Ticks.add(zero, Ticks.atOrAfter(spec.clip?.from ?? 0, perSecond: perSecond))
        endTS = spec.clip.map { Ticks.add(zero, Ticks.atOrAfter($0.to, perSecond: perSecond)) } ?? Int64.max
        regions = spec.regions
        let o = Orientation(stream: stream)
        orientation = o
        let shown = o.shown(width: Int(decoder.context.pointee.width), height: Int(decoder.context.pointee.height))
        for (i, region) in spec.regions.enumerated() {
            // A spec checked against another size (an exhibit catalogued before rotation was recorded)
            // would otherwise be clipped to the picture and leave part of its area visible.
            for point in region.track where point.rect.x + point.rect.width > shown.width
                || point.rect.y + point.rect.height > shown.height {
                let r = point.rect
                throw RedactionError.unsupported("blur[\(i)]: the rectangle [\(r.x), \(r.y), \(r.width), \(r.height)] "
                                                 + "leaves the picture as shown (\(shown.width)x\(shown.height), "
                                                 + "\(o.summary))")
            }
        }
        scratch = try Frame()
        packet = try Packet()
    }

    /// Trims, paints and encodes one decoded frame; `write` receives each encoded packet.
    func process(_ frame: Frame, write: (Packet) throws -> Void) throws {
        guard !done else { return }
        var ts = frame.pointer.pointee.best_effort_timestamp
        if ts == custody_av_nopts_value() {
            ts = Ticks.add(lastTS ?? Ticks.subtract(startTS, frameDuration), frameDuration)
        }
        if let lastTS, ts <= lastTS { return }  // a repeated timestamp cannot be muxed
        guard ts >= startTS else { return }
        guard ts < endTS else {
            done = true
            return
        }
        lastTS = ts
        let picture = try yuv420p(frame)
        let t = Double(Ticks.subtract(ts, originTS)) * Double(timeBase.num) / Double(timeBase.den)
        let (width, height) = (Int(picture.pointer.pointee.width), Int(picture.pointer.pointee.height))
        for region in regions {
            guard let rect = region.rect(at: t) else { continue }
            let stored = orientation.stored(rect, width: width, height: height)
            RegionPainter.paint(picture.pointer, rect: stored, style: region.style)
        }
        let p = picture.pointer
        p.pointee.pts = Ticks.subtract(ts, startTS)
        p.pointee.pict_type = AV_PICTURE_TYPE_NONE
        p.pointee.color_range = AVCOL_RANGE_MPEG
        frames += 1
        try encoder.send(p)
        try drain(write)
    }

    /// Drains the encoder.
    func finish(write: (Packet) throws -> Void) throws {
        try encoder.send(nil as UnsafeMutablePointer<AVFrame>?)
        try drain(write)
    }

    /// Hands on every packet the encoder has ready; the first loses x264's version SEI.
    private func drain(_ write: (Packet) throws -> Void) throws {
        while try encoder.receive(packet) {
            if !wrotePacket {
                try EncoderVersionSEI.strip(packet)
                wrotePacket = true
            }
            try write(packet)
        }
    }

    /// The frame itself when it is a writable yuv420p picture of the encoder's size, else a converted copy.
    private func yuv420p(_ frame: Frame) throws -> Frame {
        let f = frame.pointer.pointee
        let e = encoder.context.pointee
        if f.format == AV_PIX_FMT_YUV420P.rawValue && f.width == e.width && f.height == e.height {
            try MediaError.check(av_frame_make_writable(frame.pointer), "av_frame_make_writable", "video frame")
            return frame
        }
        guard f.width == e.width && f.height == e.height else {
            throw RedactionError.unsupported("the picture size changes mid-stream (\(e.width)x\(e.height) to "
                                             + "\(f.width)x\(f.height)); custody cannot redact such a recording")
        }
        if converter == nil {
            converter = try PictureConverter(width: f.width, height: f.height, from: AVPixelFormat(rawValue: f.format))
        }
        try converter!.convert(frame, into: scratch)
        return scratch
    }
}
