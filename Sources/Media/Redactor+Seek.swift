import CFFmpeg

extension RedactionJob {
    /// Tries at most this many seek targets, each further back, before decoding from the start.
    static let seekAttempts = 5
    /// Demuxers whose byte 0 is a packet, not a header.
    static let headerless: Set<String> = ["mpegts", "mpeg", "mpegvideo", "h264", "hevc"]

    /// Moves the demuxer to a point from which decoding yields every video frame at or after `start`
    /// (seconds from the recording's start), and returns that point (0: the start of the file).
    ///
    /// A seek with `AVSEEK_FLAG_BACKWARD` lands on a keyframe only where the container indexes them
    /// (MP4, MKV, AVI). In an MPEG-TS it lands on any packet, and the decoder drops what it cannot
    /// decode until the next keyframe, which may be after `start`. So each target is checked by
    /// decoding up to its first video frame; while that frame is later than `start`, the target moves
    /// back (0.5 s, then 2, 8, 32, 128 s before `start`), and at last to the start of the file.
    func seek(before start: Double) throws -> Double {
        var back = Redactor.preroll
        for _ in 0..<Self.seekAttempts {
            let begin = start - back
            guard begin > 0 else { break }
            let target = Ticks.add(input.startTime, Ticks.nearest(begin, perSecond: Double(AV_TIME_BASE)))
            guard av_seek_frame(input.context, -1, target, AVSEEK_FLAG_BACKWARD) >= 0 else { break }
            let first = try firstVideoTimestamp()
            video.decoder.flush()
            if let first, first <= video.startTS {
                // Checking read packets: go back to the same place (seeking is deterministic).
                guard av_seek_frame(input.context, -1, target, AVSEEK_FLAG_BACKWARD) >= 0 else { break }
                return begin
            }
            back *= 4
        }
        try rewind()
        return 0
    }

    /// Back to the first packet of the file. Streams without a header (MPEG-TS and -PS, raw
    /// elementary streams) go back by byte: a seek to their start time searches decode timestamps,
    /// which with B-frames begin before it, and lands after the first keyframe.
    private func rewind() throws {
        let format = String(cString: input.context.pointee.iformat.pointee.name)
        if Self.headerless.contains(format), av_seek_frame(input.context, -1, 0, AVSEEK_FLAG_BYTE) >= 0 { return }
        if av_seek_frame(input.context, -1, input.startTime, AVSEEK_FLAG_BACKWARD) >= 0 { return }
        try MediaError.check(av_seek_frame(input.context, -1, 0, AVSEEK_FLAG_BYTE), "av_seek_frame",
                             "\(input.path): back to the start")
    }

    /// Reads and decodes video packets up to the first decoded frame; its timestamp, or nil when the
    /// file ends first or the frame has none.
    private func firstVideoTimestamp() throws -> Int64? {
        while true {
            packet.unref()
            let r = av_read_frame(input.context, packet.pointer)
            if let failure = input.io?.failure { throw failure }
            let ended = r == custody_averror_eof()
            if !ended { try MediaError.check(r, "av_read_frame", input.path) }
            if ended {
                try video.decoder.send(nil as UnsafeMutablePointer<AVPacket>?)
            } else if packet.pointer.pointee.stream_index == video.streamIndex {
                do {
                    try video.decoder.send(packet.pointer)
                } catch let e as MediaError where e.code == custody_averror_invaliddata() {
                    continue  // damaged: the real pass counts it
                }
            } else {
                continue
            }
            if try video.decoder.receive(frame) {
                let ts = frame.pointer.pointee.best_effort_timestamp
                return ts == custody_av_nopts_value() ? nil : ts
            }
            if ended { return nil }
        }
    }
}
