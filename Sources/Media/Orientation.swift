import CFFmpeg
import MediaModel

/// How a stored picture is shown, from its stream's display matrix (a camera or phone held on its side,
/// a mirrored front camera): turned clockwise by quarter turns, then mirrored left to right when the
/// matrix has a negative determinant. Any axis-aligned matrix is one of these eight; its rotation is taken
/// to the nearest quarter turn. A spec's rectangles are in the picture as shown; painting needs them stored.
struct Orientation: Equatable {
    /// Clockwise quarter turns from the stored to the shown picture, 0 to 3.
    let quarterTurns: Int
    /// Whether the turned picture is then mirrored left to right (x -> width - x).
    let mirrored: Bool

    init(quarterTurns: Int, mirrored: Bool = false) {
        self.quarterTurns = ((quarterTurns % 4) + 4) % 4
        self.mirrored = mirrored
    }

    init(stream: UnsafeMutablePointer<AVStream>) {
        var size = 0
        guard let data = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &size),
              size >= 9 * MemoryLayout<Int32>.size else {
            self.init(quarterTurns: 0)
            return
        }
        let matrix = UnsafeRawPointer(data).withMemoryRebound(to: Int32.self, capacity: 9) {
            Array(UnsafeBufferPointer(start: $0, count: 9))
        }
        self.init(matrix: matrix)
    }

    /// From a display matrix [a b u; c d v; x y w] (FFmpeg's layout: a shown point is
    /// (a*x + c*y + tx, b*x + d*y + ty) of the stored point (x, y)). A mirrored one is, as FFmpeg's
    /// `av_display_matrix_flip` makes it, a rotation with its first column negated: negating it back
    /// leaves the rotation.
    init(matrix: [Int32]) {
        let determinant = Double(matrix[0]) * Double(matrix[4]) - Double(matrix[1]) * Double(matrix[3])
        let mirrored = determinant < 0
        var m = matrix
        if mirrored { for i in [0, 3, 6] { m[i] = m[i] == Int32.min ? Int32.max : -m[i] } }
        // av_display_rotation_get is counter-clockwise; NaN for a degenerate matrix.
        let degrees = -m.withUnsafeBufferPointer { av_display_rotation_get($0.baseAddress!) }
        let turns = degrees.isFinite ? (degrees / 90).rounded() : 0
        self.init(quarterTurns: abs(degrees - turns * 90) < 1 ? Int(turns) : 0, mirrored: mirrored)
    }

    /// Clockwise degrees the picture is turned when shown: 0, 90, 180 or 270.
    var degrees: Int { quarterTurns * 90 }

    /// How it is shown, in words: "turned 90 degrees", "mirrored", "turned 90 degrees and mirrored".
    var summary: String {
        switch (quarterTurns, mirrored) {
        case (0, false): return "as stored"
        case (0, true): return "mirrored"
        default: return "turned \(degrees) degrees" + (mirrored ? " and mirrored" : "")
        }
    }

    /// The shown size of a stored `width` x `height` picture.
    func shown(width: Int, height: Int) -> (width: Int, height: Int) {
        quarterTurns % 2 == 0 ? (width, height) : (height, width)
    }

    /// The rectangle of the stored `width` x `height` picture that is shown as `r`.
    func stored(_ r: RedactionSpec.Rect, width: Int, height: Int) -> RedactionSpec.Rect {
        var r = r
        // Undo the mirror first (it was applied last), in the turned picture's width.
        if mirrored { r.x = shown(width: width, height: height).width - r.x - r.width }
        switch quarterTurns {
        case 1: return .init(x: r.y, y: height - r.x - r.width, width: r.height, height: r.width)
        case 2: return .init(x: width - r.x - r.width, y: height - r.y - r.height, width: r.width, height: r.height)
        case 3: return .init(x: width - r.y - r.height, y: r.x, width: r.height, height: r.width)
        default: return r
        }
    }
}
