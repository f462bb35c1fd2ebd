import Foundation

/// Recordings stored sideways, as a camera or phone held on its side writes them.
public enum SidewaysMedia {
    /// Writes "turn 90 degrees clockwise to show" into the first (version 0) `tkhd` box of the MP4 at
    /// `path`, in place: FFmpeg 5.1's CLI cannot set a rotation. The 3x3 matrix is 36 bytes at offset
    /// 44 from the box type: [0 1 0; -1 0 0; 0 0 1] in 16.16 / 2.30 fixed point.
    public static func turnMP4Clockwise(_ path: String) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let tkhd = [UInt8]("tkhd".utf8)
        guard let at = (0..<bytes.count - 4).first(where: { bytes[$0..<$0 + 4].elementsEqual(tkhd) }),
              bytes[at + 4] == 0, at + 80 <= bytes.count else {
            throw CocoaError(.fileReadCorruptFile)
        }
        let matrix: [UInt32] = [0, 0x10000, 0, 0xFFFF_0000, 0, 0, 0, 0, 0x4000_0000]
        for (i, v) in matrix.enumerated() {
            for b in 0..<4 { bytes[at + 44 + 4 * i + b] = UInt8(truncatingIfNeeded: v >> (24 - 8 * b)) }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
}
