import CFFmpeg

/// An MP4 being written: owns the muxer context and its file. Written bit-exactly (no library
/// version strings, no wall-clock creation time), so the same packets always give the same bytes.
final class OutputFile {
    let context: UnsafeMutablePointer<AVFormatContext>
    let path: String

    init(path: String) throws {
        var ctx: UnsafeMutablePointer<AVFormatContext>?
        try MediaError.check(avformat_alloc_output_context2(&ctx, nil, "mp4", path), "avformat_alloc_output_context2",
                             path)
        guard let ctx else {
            throw MediaError("avformat_alloc_output_context2", code: custody_averror(ENOMEM), context: path)
        }
        context = ctx
        self.path = path
        ctx.pointee.flags |= AVFMT_FLAG_BITEXACT
        try MediaError.check(avio_open(&ctx.pointee.pb, path, AVIO_FLAG_WRITE), "avio_open", path)
    }

    /// An unfinished file is closed without its trailer: with `+faststart` the trailer would reopen the
    /// path, and the caller removes an unfinished file anyway.
    deinit {
        avio_closep(&context.pointee.pb)
        avformat_free_context(context)
    }

    /// Whether encoders must put their parameter sets in extradata (MP4 does).
    var wantsGlobalHeader: Bool { (context.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER) != 0 }

    /// Adds a stream carrying what `encoder` produces; returns its index. The display matrix of `source`
    /// (a phone or camera held sideways: the pictures are stored as captured, with a rotation to apply
    /// when shown) is copied, so the derived clip is shown the same way up as its source.
    func addStream(for encoder: CodecContext, frameRate: AVRational? = nil,
                   like source: UnsafeMutablePointer<AVStream>? = nil) throws -> Int32 {
        guard let stream = avformat_new_stream(context, nil) else {
            throw MediaError("avformat_new_stream", code: custody_averror(ENOMEM), context: path)
        }
        try MediaError.check(avcodec_parameters_from_context(stream.pointee.codecpar, encoder.context),
                             "avcodec_parameters_from_context", path)
        stream.pointee.time_base = encoder.context.pointee.time_base
        if let frameRate { stream.pointee.avg_frame_rate = frameRate }
        if let source { try copyDisplayMatrix(from: source, to: stream) }
        return stream.pointee.index
    }

    private func copyDisplayMatrix(from source: UnsafeMutablePointer<AVStream>,
                                   to stream: UnsafeMutablePointer<AVStream>) throws {
        var size = 0
        guard let matrix = av_stream_get_side_data(source, AV_PKT_DATA_DISPLAYMATRIX, &size), size > 0 else { return }
        guard let copy = av_stream_new_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, size) else {
            throw MediaError("av_stream_new_side_data", code: custody_averror(ENOMEM),
                             context: "\(path): display matrix")
        }
        copy.update(from: matrix, count: size)
    }

    func timeBase(of stream: Int32) -> AVRational { context.pointee.streams[Int(stream)]!.pointee.time_base }

    /// Writes the header; `+faststart` moves the index before the media data when the file is finished,
    /// so a browser or court player can start at once.
    func writeHeader() throws {
        var dict: OpaquePointer?
        defer { av_dict_free(&dict) }
        av_dict_set(&dict, "movflags", "+faststart", 0)
        try MediaError.check(avformat_write_header(context, &dict), "avformat_write_header", path)
    }

    /// Writes one encoded packet from an encoder whose time base is `from`, to `stream`.
    func write(_ packet: Packet, from: AVRational, stream: Int32) throws {
        packet.pointer.pointee.stream_index = stream
        av_packet_rescale_ts(packet.pointer, from, timeBase(of: stream))
        try MediaError.check(av_interleaved_write_frame(context, packet.pointer), "av_interleaved_write_frame", path)
    }

    /// Flushes the interleaving queue, writes the index and closes the file.
    func finish() throws {
        try MediaError.check(av_write_trailer(context), "av_write_trailer", path)
        try MediaError.check(avio_closep(&context.pointee.pb), "avio_closep", path)
    }
}
