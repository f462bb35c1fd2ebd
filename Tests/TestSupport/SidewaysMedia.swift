import Foundation

/// Recordings stored sideways or mirrored, as a camera or phone held on its side (or a front camera)
/// writes them.
public enum SidewaysMedia {
    /// Writes "turn 90 degrees clockwise to show" into the first (version 0) `tkhd` box of the MP4 at
    /// `path`, in place: FFmpeg 5.1's CLI cannot set a rotation: [0 1 0; -1 0 0; 0 0 1].
    public static func turnMP4Clockwise(_ path: String) throws {
        try setMatrix(of: path, [0, 0x10000, 0, 0xFFFF_0000, 0, 0, 0, 0, 0x4000_0000])
    }

    /// Writes "mirror left to right to show" for a picture `width` pixels wide: [-1 0 0; 0 1 0; width 0 1],
    /// the matrix FFmpeg's `av_display_matrix_flip(m, 1, 0)` makes of the identity (with the translation
    /// MP4 writers add so the picture stays in place).
    public static func mirrorMP4(_ path: String, width: Int) throws {
        try setMatrix(of: path, [0xFFFF_0000, 0, 0, 0, 0x10000, 0, UInt32(width) << 16, 0, 0x4000_0000])
    }

    /// The 3x3 matrix is 36 bytes at offset 44 from the box type, in 16.16 (a, b, c, d, x, y) and 2.30
    /// (u, v, w) fixed point, big-endian.
    static func setMatrix(of path: String, _ matrix: [UInt32]) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let tkhd = [UInt8]("tkhd".utf8)
        guard let at = (0..<bytes.count - 4).first(where: { bytes[$0..<$0 + 4].elementsEqual(tkhd) }),
              bytes[at + 4] == 0, at + 80 <= bytes.count else {
            throw CocoaError(.fileReadCorruptFile)
        }
        for (i, v) in matrix.enumerated() {
            for b in 0..<4 { bytes[at + 44 + 4 * i + b] = UInt8(truncatingIfNeeded: v >> (24 - 8 * b)) }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
}
