import CFFmpeg
import MediaModel

/// The audio half of a redaction: decoded samples are converted to planar float, cut to the clip and
/// silenced in the muted ranges with sample accuracy, then re-encoded as AAC in 1024-sample frames.
///
/// Positions are counted in source samples from the recording's start (`InputFile.startTime`), following
/// each decoded frame's timestamp (a gap is filled with silence), so the audio stays aligned with the
/// video: output sample 0 is source time `clip.start`.
final class AudioTrack {
    let decoder: CodecContext
    let encoder: CodecContext
    let streamIndex: Int32
    private let resampler: OpaquePointer
    private let fifo: OpaquePointer
    private let sourceTimeBase: AVRational
    /// The recording's start in the stream's ticks: sample 0.
    private let originTS: Int64
    private let rate: Int32
    private let startSample: Int64
    private let endSample: Int64
    private let mutes: [(Int64, Int64)]
    private let converted: Frame
    private let encoderFrame: Frame
    private let packet: Packet
    /// Source sample index of the next decoded sample; nil until the first frame.
    private var position: Int64?
    /// Samples put into the FIFO so far (the output timeline), and samples sent to the encoder.
    private var queued: Int64 = 0
    private var encoded: Int64 = 0
    /// True once a decoded frame reached the end of the clip.
    private(set) var done = false
    /// Timestamps closer than 1/200 s to the counted position are jitter (millisecond time bases),
    /// not gaps; a lost AAC or MP3 packet is at least 1/47 s.
    static let jitterDivisor: Int64 = 200
    static let maxPosition: Int64 = 1 << 62
    /// Samples per channel in the output so far.
    var samples: Int64 { queued }

    /// `declared`: the container states its streams' durations (`InputFile.declaresDurations`).
    init(stream: UnsafeMutablePointer<AVStream>, origin: Int64, declared: Bool, output: OutputFile,
         clip: RedactionSpec.TimeRange?, mutes: [RedactionSpec.TimeRange]) throws {
        decoder = try CodecContext.decoder(for: stream, threads: 1)
        streamIndex = stream.pointee.index
        sourceTimeBase = stream.pointee.time_base
        originTS = av_rescale_q(origin, custody_av_time_base_q(), stream.pointee.time_base)
        let d = decoder.context
        rate = d.pointee.sample_rate
        guard rate > 0, d.pointee.ch_layout.nb_channels > 0 else {
            throw MediaError("avcodec_open2", code: custody_averror_invaliddata(),
                             context: "audio without a sample rate or channels")
        }
        if d.pointee.ch_layout.order == AV_CHANNEL_ORDER_UNSPEC {
            av_channel_layout_default(&d.pointee.ch_layout, d.pointee.ch_layout.nb_channels)
        }
        encoder = try .aacEncoder(sampleRate: rate, layout: &d.pointee.ch_layout,
                                  globalHeader: output.wantsGlobalHeader)
        var swr: OpaquePointer?
        try MediaError.check(swr_alloc_set_opts2(&swr, &encoder.context.pointee.ch_layout, AV_SAMPLE_FMT_FLTP, rate,
                                                 &d.pointee.ch_layout, d.pointee.sample_fmt, rate, 0, nil),
                             "swr_alloc_set_opts2", "audio conversion")
        guard let swr else { throw MediaError("swr_alloc_set_opts2", code: custody_averror(ENOMEM), context: "audio") }
        resampler = swr
        guard let f = av_audio_fifo_alloc(AV_SAMPLE_FMT_FLTP, d.pointee.ch_layout.nb_channels, 4096) else {
            var owned: OpaquePointer? = swr
            swr_free(&owned)
            throw MediaError("av_audio_fifo_alloc", code: custody_averror(ENOMEM), context: "audio")
        }
        fifo = f
        converted = try Frame()
        encoderFrame = try Frame()
        packet = try Packet()
        let r = Double(rate)
        startSample = Ticks.atOrAfter(clip?.from ?? 0, perSecond: r)
        let trackEnd = declared ? Self.declaredEnd(of: stream, origin: originTS, rate: rate) : nil
        endSample = min(clip.map { Ticks.atOrAfter($0.to, perSecond: r) } ?? Int64.max, trackEnd ?? Int64.max)
        self.mutes = mutes.map { (Ticks.atOrAfter($0.from, perSecond: r), Ticks.atOrAfter($0.to, perSecond: r)) }
        try MediaError.check(swr_init(resampler), "swr_init", "audio conversion")
    }

    /// Where the container says the audio track ends, in samples from the recording's start: an MP4's
    /// edit list cuts the encoder's padding of the last AAC frame (a 4.000 s track decodes to 4.0107 s),
    /// and a redaction keeps the track as long as a player plays it. Nil where the demuxer states no
    /// duration of its own (MPEG-TS: estimated from timestamps or the bit rate; then every decoded
    /// sample is kept).
    static func declaredEnd(of stream: UnsafeMutablePointer<AVStream>, origin: Int64, rate: Int32) -> Int64? {
        let s = stream.pointee
        guard s.duration > 0, s.duration != custody_av_nopts_value(), s.start_time != custody_av_nopts_value(),
              let format = s.codecpar, format.pointee.codec_type == AVMEDIA_TYPE_AUDIO else { return nil }
        let end = Ticks.subtract(Ticks.add(s.start_time, s.duration), origin)
        let samples = av_rescale_q(end, s.time_base, AVRational(num: 1, den: rate))
        return samples > 0 && samples < maxPosition ? samples : nil
    }

    deinit {
        var swr: OpaquePointer? = resampler
        swr_free(&swr)
        av_audio_fifo_free(fifo)
    }

    /// Cuts, mutes and encodes one decoded frame; `write` receives each encoded packet.
    func process(_ frame: Frame, write: (Packet) throws -> Void) throws {
        guard !done else { return }
        let f = converted.pointer
        converted.unref()
        f.pointee.format = AV_SAMPLE_FMT_FLTP.rawValue
        f.pointee.sample_rate = rate
        try MediaError.check(av_channel_layout_copy(&f.pointee.ch_layout, &encoder.context.pointee.ch_layout),
                             "av_channel_layout_copy", "audio")
        try MediaError.check(swr_convert_frame(resampler, f, frame.pointer), "swr_convert_frame", "audio conversion")
        // Follow the frame's timestamp where it leaves the counted position by more than jitter (lost
        // packets, a discontinuity): a gap becomes silence below, an overlap is dropped.
        let ts = frame.pointer.pointee.best_effort_timestamp
        if ts != custody_av_nopts_value() {
            let stamped = av_rescale_q(Ticks.subtract(ts, originTS), sourceTimeBase, AVRational(num: 1, den: rate))
            // Past 2^62 samples (millions of years; av_rescale_q's overflow is Int64.min) a timestamp is
            // damage, not a time: keep counting, so the sample arithmetic below cannot overflow.
            let sane = stamped > -Self.maxPosition && stamped < Self.maxPosition
            // A jump is followed when it exceeds half a frame (and 1/200 s): a lost packet is a whole
            // frame, while a camera's clock jitter of a few ms is not worth a burst of silence.
            let threshold = max(Int64(rate) / Self.jitterDivisor, Int64(f.pointee.nb_samples) / 2)
            if sane, position.map({ abs(stamped - $0) > threshold }) ?? true {
                position = stamped
            }
        }
        let p = position ?? 0, n = Int64(f.pointee.nb_samples)
        position = p + n
        if p + n >= endSample { done = true }
        var lo = max(p, startSample)
        let hi = min(p + n, endSample)
        guard lo < hi else { return }
        // Keep the output continuous: pad a late start with silence, drop samples already covered.
        let gap = (lo - startSample) - queued
        if gap > 0 { try queueSilence(gap, write: write) } else if gap < 0 { lo -= gap }
        guard lo < hi else { return }
        let channels = Int(f.pointee.ch_layout.nb_channels)
        for (a, b) in mutes where a < hi && b > lo {
            let from = Int(max(a, lo) - p), to = Int(min(b, hi) - p)
            for c in 0..<channels {
                let plane = UnsafeMutableRawPointer(custody_frame_plane(f, Int32(c))!)
                    .assumingMemoryBound(to: Float.self)
                (plane + from).update(repeating: 0, count: to - from)
            }
        }
        var planes = (0..<channels).map { c -> UnsafeMutableRawPointer? in
            UnsafeMutableRawPointer(custody_frame_plane(f, Int32(c))!) + Int(lo - p) * MemoryLayout<Float>.size
        }
        let count = Int32(hi - lo)
        let wrote = av_audio_fifo_write(fifo, &planes, count)
        guard wrote == count else { throw MediaError("av_audio_fifo_write", code: min(wrote, -1), context: "audio") }
        queued += Int64(count)
        try encodeQueued(flush: false, write: write)
    }

    /// Encodes what is left in the FIFO and drains the encoder.
    func finish(write: (Packet) throws -> Void) throws {
        try encodeQueued(flush: true, write: write)
        try encoder.send(nil as UnsafeMutablePointer<AVFrame>?)
        while try encoder.receive(packet) { try write(packet) }
    }

    /// Queues `count` samples of silence, encoding as it goes so a long gap never sits in memory.
    private func queueSilence(_ count: Int64, write: (Packet) throws -> Void) throws {
        let channels = Int(encoder.context.pointee.ch_layout.nb_channels)
        let zeros = [Float](repeating: 0, count: 4096)
        var left = count
        while left > 0 {
            let n = Int32(min(left, 4096))
            try zeros.withUnsafeBufferPointer { z in
                var planes = [UnsafeMutableRawPointer?](repeating: UnsafeMutableRawPointer(mutating: z.baseAddress!),
                                                        count: channels)
                let wrote = av_audio_fifo_write(fifo, &planes, n)
                guard wrote == n else {
                    throw MediaError("av_audio_fifo_write", code: min(wrote, -1), context: "audio")
                }
            }
            left -= Int64(n)
            queued += Int64(n)
            try encodeQueued(flush: false, write: write)
        }
    }

    private func encodeQueued(flush: Bool, write: (Packet) throws -> Void) throws {
        let frameSize = max(1, encoder.context.pointee.frame_size)
        while av_audio_fifo_size(fifo) >= frameSize || (flush && av_audio_fifo_size(fifo) > 0) {
            let n = min(frameSize, av_audio_fifo_size(fifo))
            let e = encoderFrame.pointer
            encoderFrame.unref()
            e.pointee.nb_samples = n
            e.pointee.format = AV_SAMPLE_FMT_FLTP.rawValue
            e.pointee.sample_rate = rate
            try MediaError.check(av_channel_layout_copy(&e.pointee.ch_layout, &encoder.context.pointee.ch_layout),
                                 "av_channel_layout_copy", "audio")
            try MediaError.check(av_frame_get_buffer(e, 0), "av_frame_get_buffer", "audio")
            let read = av_audio_fifo_read(fifo, custody_frame_planes(e), n)
            guard read == n else { throw MediaError("av_audio_fifo_read", code: min(read, -1), context: "audio") }
            e.pointee.pts = encoded
            encoded += Int64(n)
            try encoder.send(e)
            while try encoder.receive(packet) { try write(packet) }
        }
    }
}
