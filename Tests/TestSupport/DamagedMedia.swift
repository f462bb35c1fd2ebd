import Foundation

/// Makes damaged recordings for tests: real camera files lose or garble packets.
public enum DamagedMedia {
    /// Zeroes the data of the video chunks (`00dc`) numbered in `chunks` (0-based) of the AVI at `path`,
    /// in place, and returns how many video chunks the file has.
    @discardableResult
    public static func zeroAVIVideoChunks(_ path: String, _ chunks: Set<Int>) throws -> Int {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        // Walk the 'movi' list: fourcc, little-endian size, data padded to an even size.
        let movi = [UInt8]("movi".utf8)
        guard let list = (0..<bytes.count - 4).first(where: { bytes[$0..<$0 + 4].elementsEqual(movi) }) else {
            throw CocoaError(.fileReadCorruptFile)
        }
        var at = list + 4, index = 0
        while at + 8 <= bytes.count, bytes[at..<at + 4].elementsEqual("00dc".utf8) {
            let size = (0..<4).reduce(0) { $0 | Int(bytes[at + 4 + $1]) << (8 * $1) }
            if chunks.contains(index) {
                for i in at + 8..<min(bytes.count, at + 8 + size) { bytes[i] = 0 }
            }
            index += 1
            at += 8 + size + size % 2
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return index
    }
}
