import CFFmpeg

/// The encoder settings of a derived exhibit. Fixed, because the same spec on the same exhibit must
/// give the same bytes: x264's output depends on its preset, rate control and thread count, and must
/// never depend on timing.
enum EncoderSettings {
    static let x264Preset = "veryfast"
    static let x264CRF = "18"
    static let x264Threads: Int32 = 2
    /// No MB-tree rate control (x264's default in every preset but ultrafast). MB-tree made the output
    /// depend on more than the input, in two ways: (1) with frame threads x264 runs its lookahead in a
    /// thread of its own, and the QPs MB-tree gave a frame depended on how far that thread had got
    /// (x264's log: one B-frame at QP 20.20 in one run, 20.24 in the next); (2) MB-tree reads memory
    /// x264 never wrote: the same input and settings, single-threaded, give other bytes under
    /// `MALLOC_PERTURB_=1`, and in a process whose heap held other data before (a test run, a server)
    /// the first frames came out differently. Without it the output is the same with any heap contents
    /// and any thread timing (ffmpeg CLI: 30 of 30 runs alike beside two busy loops, where the default
    /// gave 3 different outputs in 30), at no cost in time but in bits at the same CRF: 0.1% for the
    /// bodycam fixture, half again for a synthetic clip with a still background (README, bench).
    static let x264Params = "mbtree=0"
    /// A keyframe every 2 s at most, so players can seek in a derived clip.
    static let keyframeSeconds = 2.0
    static let aacBitRate: Int64 = 64_000
}

extension CodecContext {
    /// libx264 at the source's size and frame rate, timestamps in the source stream's time base.
    static func h264Encoder(like decoder: CodecContext, timeBase: AVRational, frameRate: AVRational,
                            globalHeader: Bool) throws -> CodecContext {
        guard let codec = avcodec_find_encoder_by_name("libx264") else {
            throw RedactionError.unsupported("libx264 is not available in this FFmpeg build: "
                                             + "install a libavcodec built with x264")
        }
        let d = decoder.context.pointee
        guard d.width % 2 == 0 && d.height % 2 == 0 else {
            throw RedactionError.unsupported("the source is \(d.width)x\(d.height); H.264 4:2:0 needs an even width "
                                             + "and height")
        }
        let options = ["preset": EncoderSettings.x264Preset, "crf": EncoderSettings.x264CRF,
                       "x264-params": EncoderSettings.x264Params]
        return try CodecContext(codec: codec, label: "libx264 encoder", options: options) { ctx in
            ctx.pointee.width = d.width
            ctx.pointee.height = d.height
            ctx.pointee.pix_fmt = AV_PIX_FMT_YUV420P
            ctx.pointee.sample_aspect_ratio = d.sample_aspect_ratio
            ctx.pointee.time_base = timeBase
            ctx.pointee.framerate = frameRate
            ctx.pointee.gop_size = Int32(max(1, (EncoderSettings.keyframeSeconds * frameRate.seconds).rounded()))
            ctx.pointee.thread_count = EncoderSettings.x264Threads
            ctx.pointee.color_primaries = d.color_primaries
            ctx.pointee.color_trc = d.color_trc
            ctx.pointee.colorspace = d.colorspace
            ctx.pointee.color_range = AVCOL_RANGE_MPEG
            ctx.pointee.flags |= AV_CODEC_FLAG_BITEXACT
            if globalHeader { ctx.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER }
        }
    }

    /// FFmpeg's native AAC encoder at the source's sample rate and channel layout, planar float.
    static func aacEncoder(sampleRate: Int32, layout: UnsafePointer<AVChannelLayout>,
                           globalHeader: Bool) throws -> CodecContext {
        guard let codec = avcodec_find_encoder_by_name("aac") else {
            throw MediaError("avcodec_find_encoder_by_name", code: custody_averror(ENOSYS), context: "aac encoder")
        }
        return try CodecContext(codec: codec, label: "aac encoder") { ctx in
            ctx.pointee.sample_fmt = AV_SAMPLE_FMT_FLTP
            ctx.pointee.sample_rate = sampleRate
            try MediaError.check(av_channel_layout_copy(&ctx.pointee.ch_layout, layout), "av_channel_layout_copy",
                                 "aac encoder")
            ctx.pointee.bit_rate = EncoderSettings.aacBitRate * Int64(max(1, layout.pointee.nb_channels))
            ctx.pointee.time_base = AVRational(num: 1, den: sampleRate)
            ctx.pointee.thread_count = 1
            ctx.pointee.flags |= AV_CODEC_FLAG_BITEXACT
            if globalHeader { ctx.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER }
        }
    }
}

/// Converts decoded pictures of any format or range to the encoder's yuv420p, when they differ.
final class PictureConverter {
    private let context: OpaquePointer
    private let width: Int32, height: Int32

    init(width: Int32, height: Int32, from format: AVPixelFormat) throws {
        guard let ctx = sws_getContext(width, height, format, width, height, AV_PIX_FMT_YUV420P,
                                       SWS_BICUBIC | SWS_BITEXACT | SWS_ACCURATE_RND, nil, nil, nil) else {
            let name = av_get_pix_fmt_name(format).map { String(cString: $0) } ?? "?"
            throw MediaError("sws_getContext", code: custody_averror(EINVAL), context: "\(name) -> yuv420p")
        }
        context = ctx
        self.width = width
        self.height = height
    }

    deinit { sws_freeContext(context) }

    /// A new yuv420p frame holding `source`'s picture, with its timestamps.
    func convert(_ source: Frame, into out: Frame) throws {
        out.unref()
        out.pointer.pointee.format = AV_PIX_FMT_YUV420P.rawValue
        out.pointer.pointee.width = width
        out.pointer.pointee.height = height
        try MediaError.check(av_frame_get_buffer(out.pointer, 0), "av_frame_get_buffer", "yuv420p picture")
        try MediaError.check(sws_scale_frame(context, out.pointer, source.pointer), "sws_scale_frame",
                             "yuv420p picture")
        out.pointer.pointee.pts = source.pointer.pointee.pts
        out.pointer.pointee.best_effort_timestamp = source.pointer.pointee.best_effort_timestamp
    }
}
