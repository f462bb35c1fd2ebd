import CFFmpeg

/// An opened media file: owns libavformat's demuxer context and closes it when released.
final class InputFile {
    let context: UnsafeMutablePointer<AVFormatContext>
    let path: String
    /// The custom I/O when the bytes come from a `MediaSource` rather than a file.
    let io: SourceIO?

    /// Opens `path` and reads enough packets to know every stream's parameters.
    init(path: String) throws {
        MediaLibrary.quietLogs()
        var ctx: UnsafeMutablePointer<AVFormatContext>?
        try MediaError.check(avformat_open_input(&ctx, path, nil, nil), "avformat_open_input", path)
        guard let ctx else {
            throw MediaError("avformat_open_input", code: custody_averror_invaliddata(), context: path)
        }
        self.context = ctx
        self.path = path
        io = nil
        try MediaError.check(avformat_find_stream_info(ctx, nil), "avformat_find_stream_info", path)
    }

    /// Opens a recording read through `source` instead of a file (libavformat custom I/O).
    /// An error the source throws (say, a damaged chunk) is rethrown as it is, not as libav's EIO.
    init(source: MediaSource) throws {
        MediaLibrary.quietLogs()
        let io = try SourceIO(source)
        guard let fresh = avformat_alloc_context() else {
            throw MediaError("avformat_alloc_context", code: custody_averror(ENOMEM), context: source.label)
        }
        fresh.pointee.pb = io.context
        fresh.pointee.flags |= AVFMT_FLAG_CUSTOM_IO
        var ctx: UnsafeMutablePointer<AVFormatContext>? = fresh
        // On failure avformat_open_input frees the context (but not custom I/O, which `io` owns).
        let opened = avformat_open_input(&ctx, source.label, nil, nil)
        if let failure = io.failure { throw failure }
        try MediaError.check(opened, "avformat_open_input", source.label)
        guard let ctx else {
            throw MediaError("avformat_open_input", code: custody_averror_invaliddata(), context: source.label)
        }
        self.context = ctx
        self.path = source.label
        self.io = io
        let found = avformat_find_stream_info(ctx, nil)
        if let failure = io.failure { throw failure }
        try MediaError.check(found, "avformat_find_stream_info", source.label)
    }

    deinit {
        var ctx: UnsafeMutablePointer<AVFormatContext>? = context
        avformat_close_input(&ctx)
    }

    /// Where the recording starts, in `AV_TIME_BASE` units: the container's start time (the earliest
    /// first timestamp of its streams, as ffprobe's `format.start_time`), or 0 when it is unknown.
    /// Spec times count from here; an MPEG-TS often starts at 1.4 s, or hours in.
    var startTime: Int64 {
        let t = context.pointee.start_time
        return t == custody_av_nopts_value() ? 0 : t
    }

    /// Whether the container states its streams' durations (MP4's edit lists, an AVI index) rather
    /// than libavformat estimating them from timestamps or the bit rate.
    var declaresDurations: Bool { context.pointee.duration_estimation_method == AVFMT_DURATION_FROM_STREAM }

    var streams: [UnsafeMutablePointer<AVStream>] {
        (0..<Int(context.pointee.nb_streams)).compactMap { context.pointee.streams[$0] }
    }

    /// The stream libavformat would pick for `type`, if any.
    func bestStream(_ type: AVMediaType) -> UnsafeMutablePointer<AVStream>? {
        let index = av_find_best_stream(context, type, -1, -1, nil, 0)
        return index >= 0 ? context.pointee.streams[Int(index)] : nil
    }

    /// Every entry of an `AVDictionary` (container or stream metadata).
    static func entries(_ dict: OpaquePointer?) -> [String: String] {
        var out = [String: String]()
        var entry: UnsafeMutablePointer<AVDictionaryEntry>?
        while let e = av_dict_get(dict, "", entry, AV_DICT_IGNORE_SUFFIX) {
            if let key = e.pointee.key, let value = e.pointee.value {
                out[String(cString: key)] = String(cString: value)
            }
            entry = e
        }
        return out
    }
}

/// Process-wide libav* settings.
enum MediaLibrary {
    /// libav* would print warnings about damaged input on stderr; custody reports them itself.
    static func quietLogs() { custody_av_log_quiet() }
}
