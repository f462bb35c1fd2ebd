import CFFmpeg
import MediaModel
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Why a redaction stopped without a result (libav* failures are `MediaError`s).
public struct RedactionError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable { case cancelled, unsupported }
    public let kind: Kind
    public let message: String

    public static let cancelled = RedactionError(kind: .cancelled, message: "the redaction was cancelled")
    static func unsupported(_ message: String) -> RedactionError {
        RedactionError(kind: .unsupported, message: message)
    }

    public var description: String { message }
}

/// What a finished redaction wrote.
public struct RedactionResult: Sendable, Equatable {
    /// Video frames in the output: the source frames whose timestamp is in [clip.start, clip.end).
    public let videoFrames: Int
    /// Audio samples per channel in the output (0 when the source has no audio).
    public let audioSamples: Int64
    /// Damaged packets the decoders refused (`AVERROR_INVALIDDATA`) and that were skipped, as ffmpeg
    /// does: their frames or samples are missing from the output.
    public var damagedPackets: Int = 0
    /// The source streams not in the output (only the best video and audio streams are kept), e.g.
    /// `#2 audio (aac)`: a second audio track, subtitles, timed metadata.
    public var droppedStreams: [String] = []
}

/// Makes a derived clip from a recording: frame-accurate trim, hidden regions and muted audio,
/// re-encoded as H.264 (libx264) + AAC in an MP4 with its index first (`+faststart`), at the
/// source's size, frame rate and sample rate. The same input and spec always give the same bytes with
/// the same FFmpeg and x264 builds (fixed encoder settings, bit-exact flags, no wall-clock metadata).
public enum Redactor {
    /// Seconds to start decoding before `clip.start`, so the audio decoder is primed and the video
    /// decoder starts at the keyframe before the cut (further back where that is not enough:
    /// `RedactionJob.seek(before:)`).
    static let preroll = 0.5

    /// Writes the derived clip of `input` to `output` (which is replaced). `progress` receives the fraction
    /// of the source range processed; `isCancelled` is polled for every packet, and a cancelled or
    /// failed run removes `output`. The spec should have been checked with `RedactionSpec.parse` against
    /// this source.
    public static func redact(input: String, output: String, spec: RedactionSpec,
                              progress: ((Double) -> Void)? = nil,
                              isCancelled: (() -> Bool)? = nil) throws -> RedactionResult {
        try redact(try InputFile(path: input), output: output, spec: spec, progress: progress, isCancelled: isCancelled)
    }

    /// The same, reading the recording through `source` (e.g. straight from the vault's chunk store):
    /// only the bytes the demuxer asks for are read, so a short clip of a long recording is quick.
    public static func redact(source: MediaSource, output: String, spec: RedactionSpec,
                              progress: ((Double) -> Void)? = nil,
                              isCancelled: (() -> Bool)? = nil) throws -> RedactionResult {
        try redact(try InputFile(source: source), output: output, spec: spec, progress: progress,
                   isCancelled: isCancelled)
    }

    static func redact(_ input: InputFile, output: String, spec: RedactionSpec, progress: ((Double) -> Void)?,
                       isCancelled: (() -> Bool)?) throws -> RedactionResult {
        do {
            let job = try RedactionJob(input: input, output: output, spec: spec)
            return try job.run(progress: progress ?? { _ in }, isCancelled: isCancelled ?? { false })
        } catch {
            unlink(output)
            throw error
        }
    }

    /// The picture size and duration a spec is checked against, read from the file at `path`.
    public static func bounds(of path: String) throws -> RedactionSpec.Bounds {
        let input = try InputFile(path: path)
        let info = try MediaProbe.describe(input)
        guard let video = info.video else { throw RedactionError.unsupported("\(path) has no video stream") }
        let shown = video.shownSize
        return RedactionSpec.Bounds(width: shown.width, height: shown.height, duration: info.durationSeconds ?? 0)
    }
}

/// One run of the redactor: the opened input, decoders, encoders and the output file.
final class RedactionJob {
    let input: InputFile
    let output: OutputFile
    let spec: RedactionSpec
    let video: VideoTrack
    let audio: AudioTrack?
    let videoOut: Int32
    let audioOut: Int32?
    let packet: Packet
    let encoded: Packet
    let frame: Frame
    /// Descriptions of the source streams left out of the output.
    let droppedStreams: [String]
    /// Packets skipped because a decoder refused them as damaged.
    private(set) var damagedPackets = 0

    init(input: InputFile, output outPath: String, spec: RedactionSpec) throws {
        self.input = input
        guard let vstream = input.bestStream(AVMEDIA_TYPE_VIDEO) else {
            throw RedactionError.unsupported("\(input.path) has no video stream to redact")
        }
        let out = try OutputFile(path: outPath)
        output = out
        self.spec = spec
        let v = try VideoTrack(stream: vstream, origin: input.startTime, output: out, spec: spec)
        video = v
        let a = try input.bestStream(AVMEDIA_TYPE_AUDIO).map {
            try AudioTrack(stream: $0, origin: input.startTime, declared: input.declaresDurations, output: out,
                           clip: spec.clip, mutes: spec.mutes)
        }
        audio = a
        videoOut = try out.addStream(for: v.encoder, frameRate: v.frameRate, like: vstream)
        audioOut = try a.map { try out.addStream(for: $0.encoder) }
        let kept = [vstream.pointee.index, a?.streamIndex].compactMap { $0 }
        droppedStreams = input.streams.filter { !kept.contains($0.pointee.index) }.map { stream in
            let type = av_get_media_type_string(stream.pointee.codecpar.pointee.codec_type).map { String(cString: $0) }
            let codec = String(cString: avcodec_get_name(stream.pointee.codecpar.pointee.codec_id))
            return "#\(stream.pointee.index) \(type ?? "unknown") (\(codec))"
        }
        packet = try Packet()
        encoded = try Packet()
        frame = try Frame()
    }

    func run(progress: (Double) -> Void, isCancelled: () -> Bool) throws -> RedactionResult {
        try output.writeHeader()
        let duration = input.context.pointee.duration
        let end = spec.clip?.to ?? (duration > 0 ? Double(duration) / Double(AV_TIME_BASE) : 0)
        var begin = 0.0
        if let start = spec.clip?.from, start > 0 { begin = try seek(before: start) }
        var reachedEnd = false
        while !(video.done && (audio?.done ?? true)) {
            if isCancelled() { throw RedactionError.cancelled }
            packet.unref()
            let r = av_read_frame(input.context, packet.pointer)
            if let failure = input.io?.failure { throw failure }
            if r == custody_averror_eof() { reachedEnd = true; break }
            try MediaError.check(r, "av_read_frame", input.path)
            let p = packet.pointer.pointee
            if p.stream_index == video.streamIndex {
                try send(packet.pointer, to: video.decoder)
                try drainVideoDecoder()
            } else if let audio, p.stream_index == audio.streamIndex {
                try send(packet.pointer, to: audio.decoder)
                try drainAudioDecoder(audio)
            } else {
                continue
            }
            let ts = p.pts != custody_av_nopts_value() ? p.pts : p.dts
            if ts != custody_av_nopts_value(), end > begin {
                let t = Double(ts) * input.context.pointee.streams[Int(p.stream_index)]!.pointee.time_base.seconds
                    - Double(input.startTime) / Double(AV_TIME_BASE)
                progress(min(1, max(0, (t - begin) / (end - begin))))
            }
        }
        if reachedEnd {
            try send(nil, to: video.decoder)
            try drainVideoDecoder()
            if let audio {
                try send(nil, to: audio.decoder)
                try drainAudioDecoder(audio)
            }
        }
        if isCancelled() { throw RedactionError.cancelled }
        try video.finish { try write($0, video: true) }
        try audio?.finish { try write($0, video: false) }
        try output.finish()
        progress(1)
        guard video.frames > 0 else {
            throw RedactionError.unsupported(damagedPackets == 0 ? "no video frame of the source falls in the clip"
                : "no video frame of the clip could be decoded (\(damagedPackets) damaged packets skipped)")
        }
        return RedactionResult(videoFrames: video.frames, audioSamples: audio?.samples ?? 0,
                               damagedPackets: damagedPackets, droppedStreams: droppedStreams)
    }

    /// Sends a packet to a decoder; one it refuses as damaged (`AVERROR_INVALIDDATA`) is counted and
    /// skipped, so one bad packet costs its frame, not the redaction.
    /// A frame-threaded decoder reports a damaged packet one call late: at the end of the stream that is
    /// the `nil` (drain) packet, or a receive while draining; both count as the damaged packet too.
    private func send(_ packet: UnsafeMutablePointer<AVPacket>?, to decoder: CodecContext) throws {
        do {
            try decoder.send(packet)
        } catch let e as MediaError where e.code == custody_averror_invaliddata() {
            damagedPackets += 1
        }
    }

    private func drainVideoDecoder() throws {
        while try receive(from: video.decoder) {
            try video.process(frame) { try write($0, video: true) }
        }
    }

    private func drainAudioDecoder(_ audio: AudioTrack) throws {
        while try receive(from: audio.decoder) {
            try audio.process(frame) { try write($0, video: false) }
        }
    }

    /// The decoder's next frame into `frame`; a damaged packet reported here is counted and passed.
    private func receive(from decoder: CodecContext) throws -> Bool {
        for _ in 0..<Self.maxDamagedInARow {
            do {
                return try decoder.receive(frame)
            } catch let e as MediaError where e.code == custody_averror_invaliddata() {
                damagedPackets += 1
            }
        }
        throw RedactionError.unsupported("the decoder reported \(Self.maxDamagedInARow) damaged packets in a row")
    }

    static let maxDamagedInARow = 1000

    private func write(_ packet: Packet, video isVideo: Bool) throws {
        if isVideo {
            if packet.pointer.pointee.duration == 0 { packet.pointer.pointee.duration = video.frameDuration }
            try output.write(packet, from: video.encoder.context.pointee.time_base, stream: videoOut)
        } else if let audio, let audioOut {
            try output.write(packet, from: audio.encoder.context.pointee.time_base, stream: audioOut)
        }
    }
}
