import CFFmpeg

/// An `AVFrame`, freed with its owner.
final class Frame {
    let pointer: UnsafeMutablePointer<AVFrame>

    init() throws {
        guard let f = av_frame_alloc() else {
            throw MediaError("av_frame_alloc", code: custody_averror(ENOMEM), context: "frame")
        }
        pointer = f
    }

    deinit {
        var f: UnsafeMutablePointer<AVFrame>? = pointer
        av_frame_free(&f)
    }

    func unref() { av_frame_unref(pointer) }
}

/// An `AVPacket`, freed with its owner.
final class Packet {
    let pointer: UnsafeMutablePointer<AVPacket>

    init() throws {
        guard let p = av_packet_alloc() else {
            throw MediaError("av_packet_alloc", code: custody_averror(ENOMEM), context: "packet")
        }
        pointer = p
    }

    deinit {
        var p: UnsafeMutablePointer<AVPacket>? = pointer
        av_packet_free(&p)
    }

    func unref() { av_packet_unref(pointer) }
}

/// An opened `AVCodecContext` (decoder or encoder), freed with its owner.
final class CodecContext {
    let context: UnsafeMutablePointer<AVCodecContext>
    let label: String

    /// Allocates a context for `codec`; `configure` sets its fields before `avcodec_open2`.
    init(codec: UnsafePointer<AVCodec>, label: String, options: [String: String] = [:],
         configure: (UnsafeMutablePointer<AVCodecContext>) throws -> Void) throws {
        guard let ctx = avcodec_alloc_context3(codec) else {
            throw MediaError("avcodec_alloc_context3", code: custody_averror(ENOMEM), context: label)
        }
        context = ctx
        self.label = label
        try configure(ctx)
        var dict: OpaquePointer?
        defer { av_dict_free(&dict) }
        for (key, value) in options.sorted(by: { $0.key < $1.key }) { av_dict_set(&dict, key, value, 0) }
        try MediaError.check(avcodec_open2(ctx, codec, &dict), "avcodec_open2", label)
        if let left = av_dict_get(dict, "", nil, AV_DICT_IGNORE_SUFFIX) {
            throw MediaError("avcodec_open2", code: custody_averror(EINVAL),
                             context: "\(label): option \(String(cString: left.pointee.key)) not recognised")
        }
    }

    deinit {
        var ctx: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&ctx)
    }

    /// Sends a packet (nil: end of stream) to a decoder.
    func send(_ packet: UnsafeMutablePointer<AVPacket>?) throws {
        let r = avcodec_send_packet(context, packet)
        if r == custody_averror_eof() { return }
        try MediaError.check(r, "avcodec_send_packet", label)
    }

    /// The next decoded frame into `frame`; false when the decoder needs more input or is drained.
    func receive(_ frame: Frame) throws -> Bool {
        frame.unref()
        let r = avcodec_receive_frame(context, frame.pointer)
        if r == custody_averror(EAGAIN) || r == custody_averror_eof() { return false }
        try MediaError.check(r, "avcodec_receive_frame", label)
        return true
    }

    /// Drops everything buffered (a decoder after a seek) and leaves the draining state.
    func flush() { avcodec_flush_buffers(context) }

    /// Sends a frame (nil: end of stream) to an encoder.
    func send(_ frame: UnsafeMutablePointer<AVFrame>?) throws {
        try MediaError.check(avcodec_send_frame(context, frame), "avcodec_send_frame", label)
    }

    /// The next encoded packet into `packet`; false when the encoder needs more input or is drained.
    func receive(_ packet: Packet) throws -> Bool {
        packet.unref()
        let r = avcodec_receive_packet(context, packet.pointer)
        if r == custody_averror(EAGAIN) || r == custody_averror_eof() { return false }
        try MediaError.check(r, "avcodec_receive_packet", label)
        return true
    }
}

extension CodecContext {
    /// Opens a decoder for `stream`, using `threads` threads (decoding is bit-exact for any count).
    static func decoder(for stream: UnsafeMutablePointer<AVStream>, threads: Int32 = 2) throws -> CodecContext {
        guard let par = stream.pointee.codecpar else {
            throw MediaError("avcodec_find_decoder", code: custody_averror_invaliddata(),
                             context: "stream without parameters")
        }
        let name = String(cString: avcodec_get_name(par.pointee.codec_id))
        guard let codec = avcodec_find_decoder(par.pointee.codec_id) else {
            throw MediaError("avcodec_find_decoder", code: custody_averror(ENOSYS),
                             context: "no decoder for \(name) (stream \(stream.pointee.index))")
        }
        return try CodecContext(codec: codec, label: "\(name) decoder") { ctx in
            try MediaError.check(avcodec_parameters_to_context(ctx, par), "avcodec_parameters_to_context", name)
            ctx.pointee.pkt_timebase = stream.pointee.time_base
            ctx.pointee.thread_count = threads
        }
    }
}

extension AVRational {
    var seconds: Double { av_q2d(self) }
}
