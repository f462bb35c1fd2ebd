import CFFmpeg
import MediaModel

/// Reads a recording's container and stream parameters through libavformat.
public enum MediaProbe {
    public enum Result: Sendable, Equatable {
        case readable(MediaInfo)
        /// Not playable; the reason is FFmpeg's own words and what custody was doing.
        case unreadable(String)
    }

    /// Probes the file at `path`. Never throws: whatever goes wrong becomes `.unreadable(reason)`,
    /// because a damaged recording is still evidence and is stored anyway.
    public static func probe(path: String) -> Result {
        probe { try InputFile(path: path) }
    }

    /// Probes a recording read through `source` (for instance chunks in the vault's store).
    public static func probe(source: MediaSource) -> Result {
        probe { try InputFile(source: source) }
    }

    private static func probe(_ open: () throws -> InputFile) -> Result {
        do {
            let input = try open()
            let info = try describe(input)
            return .readable(info)
        } catch let error as MediaError {
            return .unreadable(error.message + " (\(error.call))")
        } catch {
            return .unreadable(String(describing: error))
        }
    }

    static func describe(_ input: InputFile) throws -> MediaInfo {
        let ctx = input.context.pointee
        let video = input.bestStream(AVMEDIA_TYPE_VIDEO).flatMap(videoInfo)
        let audio = input.bestStream(AVMEDIA_TYPE_AUDIO).flatMap(audioInfo)
        guard video != nil || audio != nil else {
            throw MediaError("av_find_best_stream", code: custody_averror_invaliddata(),
                             context: "\(input.path): no decodable audio or video stream")
        }
        let tags = InputFile.entries(ctx.metadata)
        let duration = ctx.duration == custody_av_nopts_value() || ctx.duration <= 0
            ? nil : Double(ctx.duration) / Double(AV_TIME_BASE)
        return MediaInfo(
            container: ctx.iformat.map { String(cString: $0.pointee.name) } ?? "unknown",
            durationSeconds: duration, bitRate: ctx.bit_rate > 0 ? ctx.bit_rate : nil,
            creationTime: tags["creation_time"], tags: tags, video: video, audio: audio)
    }

    static func videoInfo(_ stream: UnsafeMutablePointer<AVStream>) -> VideoInfo? {
        guard let par = stream.pointee.codecpar?.pointee, par.width > 0, par.height > 0 else { return nil }
        let rate = [stream.pointee.avg_frame_rate, stream.pointee.r_frame_rate].first { $0.num > 0 && $0.den > 0 }
        let orientation = Orientation(stream: stream)
        let rotation = orientation.degrees
        let pixelFormat = av_get_pix_fmt_name(AVPixelFormat(rawValue: par.format)).map { String(cString: $0) }
        return VideoInfo(codec: String(cString: avcodec_get_name(par.codec_id)), width: Int(par.width),
                         height: Int(par.height), frameRate: rate.map { av_q2d($0) },
                         frames: stream.pointee.nb_frames > 0 ? stream.pointee.nb_frames : nil,
                         pixelFormat: pixelFormat, rotation: rotation == 0 ? nil : rotation,
                         mirrored: orientation.mirrored ? true : nil)
    }

    static func audioInfo(_ stream: UnsafeMutablePointer<AVStream>) -> AudioInfo? {
        guard let par = stream.pointee.codecpar?.pointee, par.sample_rate > 0 else { return nil }
        return AudioInfo(codec: String(cString: avcodec_get_name(par.codec_id)), sampleRate: Int(par.sample_rate),
                         channels: Int(par.ch_layout.nb_channels))
    }
}
