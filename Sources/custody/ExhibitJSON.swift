import Catalog
import Foundation
import MediaModel
import Vault

/// The JSON shape of an exhibit in `list --json` and `show --json`.
enum ExhibitJSON {
    static func object(_ e: Exhibit) -> [String: Any] {
        var o: [String: Any] = [
            "id": e.id, "sha256": e.sha256.hex, "size": e.size, "device": e.device, "officer": e.officer,
            "ingested_at": e.ingestedAt, "status": e.status.rawValue, "chunk_size": e.chunkSize,
        ]
        o["filename"] = e.filename
        o["captured_at"] = e.capturedAt
        o["unreadable_reason"] = e.unreadableReason
        o["parent_sha256"] = e.parentSHA256?.hex
        o["spec_sha256"] = e.specSHA256?.hex
        if let media = e.media, let data = try? JSONEncoder().encode(media),
           let json = try? JSONSerialization.jsonObject(with: data) {
            o["media"] = json
        }
        return o
    }

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
