import Foundation

/// The JSON shape of an exhibit in `list --json`, `show --json` and custody reports (`--json`).
extension Exhibit {
    public var jsonObject: [String: Any] {
        var o: [String: Any] = [
            "id": id, "sha256": sha256.hex, "size": size, "device": device, "officer": officer,
            "ingested_at": ingestedAt, "status": status.rawValue, "chunk_size": chunkSize,
        ]
        o["filename"] = filename
        o["captured_at"] = capturedAt
        o["unreadable_reason"] = unreadableReason
        o["parent_sha256"] = parentSHA256?.hex
        o["spec_sha256"] = specSHA256?.hex
        if let media, let data = try? JSONEncoder().encode(media),
           let json = try? JSONSerialization.jsonObject(with: data) {
            o["media"] = json
        }
        return o
    }
}
