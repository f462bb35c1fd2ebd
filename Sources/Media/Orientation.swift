import CFFmpeg

/// How a stored picture is turned when shown: the rotation of its stream's display matrix (a camera or
/// phone held on its side), to the nearest quarter turn. Mirroring is not handled (as in FFmpeg 5.1's
/// own autorotation). A spec's rectangles are in the picture as shown; painting needs them stored.
struct Orientation: Equatable {
    /// Clockwise quarter turns from the stored to the shown picture, 0 to 3.
    let quarterTurns: Int

    init(quarterTurns: Int) { self.quarterTurns = ((quarterTurns % 4) + 4) % 4 }

    init(stream: UnsafeMutablePointer<AVStream>) {
        var size = 0
        guard let data = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &size),
              size >= 9 * MemoryLayout<Int32>.size else {
            self.init(quarterTurns: 0)
            return
        }
        // av_display_rotation_get is counter-clockwise; NaN for a degenerate matrix.
        let degrees = -UnsafeRawPointer(data).withMemoryRebound(to: Int32.self, capacity: 9) {
            av_display_rotation_get($0)
        }
        let turns = degrees.isFinite ? (degrees / 90).rounded() : 0
        self.init(quarterTurns: abs(degrees - turns * 90) < 1 ? Int(turns) : 0)
    }

    /// Clockwise degrees the picture is turned when shown: 0, 90, 180 or 270.
    var degrees: Int { quarterTurns * 90 }

    /// The shown size of a stored `width` x `height` picture.
    func shown(width: Int, height: Int) -> (width: Int, height: Int) {
        quarterTurns % 2 == 0 ? (width, height) : (height, width)
    }

    /// The rectangle of the stored `width` x `height` picture that is shown as `r`.
    func stored(_ r: RedactionSpec.Rect, width: Int, height: Int) -> RedactionSpec.Rect {
        switch quarterTurns {
        case 1: return .init(x: r.y, y: height - r.x - r.width, width: r.height, height: r.width)
        case 2: return .init(x: width - r.x - r.width, y: height - r.y - r.height, width: r.width, height: r.height)
        case 3: return .init(x: width - r.y - r.height, y: r.x, width: r.height, height: r.width)
        default: return r
        }
    }
}
