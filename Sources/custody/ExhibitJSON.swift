import Catalog
import Foundation
import MediaModel
import Vault

/// The JSON shape of an exhibit in `list --json` and `show --json`.
enum ExhibitJSON {
    static func object(_ e: Exhibit) -> [String: Any] { e.jsonObject }

    /// A one-line summary of the media: `h264 320x240 30fps, aac 48000Hz 1ch, 0:00:04`.
    static func mediaSummary(_ e: Exhibit) -> String {
        guard let m = e.media else { return e.status == .unreadable ? "unreadable" : "-" }
        var parts = [String]()
        if let v = m.video {
            parts.append("\(v.codec) \(v.width)x\(v.height)" + (v.frameRate.map { String(format: " %.4gfps", $0) } ?? ""))
        }
        if let a = m.audio { parts.append("\(a.codec) \(a.sampleRate)Hz \(a.channels)ch") }
        parts.append(Format.duration(m.durationSeconds))
        return parts.joined(separator: ", ")
    }
}
