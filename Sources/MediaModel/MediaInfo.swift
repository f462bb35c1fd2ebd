/// What libavformat found in a recording. Stored as JSON in the catalog (`exhibits.media`), so field
/// names are part of the catalog format (snake_case keys, documented in the README).
public struct MediaInfo: Codable, Sendable, Equatable {
    /// Container as libavformat names it, e.g. `mov,mp4,m4a,3gp,3g2,mj2`.
    public var container: String
    public var durationSeconds: Double?
    public var bitRate: Int64?
    /// The container's `creation_time` tag as written by the camera.
    public var creationTime: String?
    /// Container metadata (camera serial, model, encoder, ...).
    public var tags: [String: String]
    public var video: VideoInfo?
    public var audio: AudioInfo?

    public init(container: String, durationSeconds: Double?, bitRate: Int64?, creationTime: String?,
                tags: [String: String], video: VideoInfo?, audio: AudioInfo?) {
        self.container = container
        self.durationSeconds = durationSeconds
        self.bitRate = bitRate
        self.creationTime = creationTime
        self.tags = tags
        self.video = video
        self.audio = audio
    }

    enum CodingKeys: String, CodingKey {
        case container, tags, video, audio
        case durationSeconds = "duration"
        case bitRate = "bit_rate"
        case creationTime = "creation_time"
    }
}

public struct VideoInfo: Codable, Sendable, Equatable {
    public var codec: String
    public var width: Int
    public var height: Int
    /// Average frames per second; nil when the container does not say.
    public var frameRate: Double?
    /// Frames counted by the container index; nil when it does not say.
    public var frames: Int64?
    public var pixelFormat: String?
    /// Clockwise degrees (90, 180, 270) the stored `width` x `height` picture is turned when shown, from
    /// the stream's display matrix; nil when it is shown as stored.
    public var rotation: Int?
    /// True when the turned picture is then mirrored left to right (a negative-determinant display
    /// matrix, e.g. a front camera's); nil when it is not.
    public var mirrored: Bool?

    public init(codec: String, width: Int, height: Int, frameRate: Double?, frames: Int64?, pixelFormat: String?,
                rotation: Int? = nil, mirrored: Bool? = nil) {
        self.codec = codec
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.frames = frames
        self.pixelFormat = pixelFormat
        self.rotation = rotation
        self.mirrored = mirrored
    }

    /// The picture size as shown (width and height swapped for a quarter turn).
    public var shownSize: (width: Int, height: Int) {
        (rotation ?? 0) % 180 == 0 ? (width, height) : (height, width)
    }

    enum CodingKeys: String, CodingKey {
        case codec, width, height, frames, rotation, mirrored
        case frameRate = "frame_rate"
        case pixelFormat = "pixel_format"
    }
}

public struct AudioInfo: Codable, Sendable, Equatable {
    public var codec: String
    public var sampleRate: Int
    public var channels: Int

    public init(codec: String, sampleRate: Int, channels: Int) {
        self.codec = codec
        self.sampleRate = sampleRate
        self.channels = channels
    }

    enum CodingKeys: String, CodingKey {
        case codec, channels
        case sampleRate = "sample_rate"
    }
}
