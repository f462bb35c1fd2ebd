import CustodyCore
import Foundation
import MediaModel
import Vault

/// The JSON of the workers' API (README, *Remote redaction workers*), both ways: the primary writes
/// an assignment and reads reports; `custody worker --server` reads the one and writes the others.
/// Whatever is read is checked and bounded, and a bad message is a 400 naming the field.
public enum WorkerMessages {
    /// Where the workers' API is.
    public static let prefix = "/api/v1/worker/"

    /// A leased redaction: the lease, the parent's chunk list, the spec (base64), its bounds, and how long the
    /// clip's chunks are locked (`lock_seconds`).
    public static func assignment(_ a: RedactionAssignment) -> [String: Any] {
        ["lease": a.leaseID, "lease_until": a.leaseUntil, "bundle": a.bundle, "index": a.index,
         "lock_seconds": a.lockSeconds.map { $0 as Any } ?? NSNull(),
         "exhibit": a.parent, "sha256": a.parentSHA256.hex, "chunk_size": a.chunkSize,
         "chunks": chunkList(a.chunks), "spec": Data(a.spec).base64EncodedString(),
         "bounds": ["width": a.bounds.width, "height": a.bounds.height,
                    "duration": a.bounds.duration.isFinite ? a.bounds.duration as Any : NSNull()]]
    }

    public static func assignment(_ bytes: [UInt8]) throws -> RedactionAssignment {
        let o = try object(bytes)
        guard let lease = o["lease"] as? String, let until = o["lease_until"] as? Int64,
              let bundle = o["bundle"] as? String, let index = o["index"] as? Int,
              let exhibit = o["exhibit"] as? String,
              let sha256 = (o["sha256"] as? String).flatMap(SHA256Digest.init(hex:)),
              let chunkSize = o["chunk_size"] as? Int,
              let spec = (o["spec"] as? String).flatMap({ Data(base64Encoded: $0) }),
              let bounds = o["bounds"] as? [String: Any], let width = bounds["width"] as? Int,
              let height = bounds["height"] as? Int else {
            throw CustodyError.invalidInput(field: "lease", "the server's lease answer is malformed")
        }
        var assignment = RedactionAssignment(
            leaseID: lease, leaseUntil: until, bundle: bundle, index: index, parent: exhibit, parentSHA256: sha256,
            chunkSize: chunkSize, chunks: try chunkList(o["chunks"]), spec: [UInt8](spec),
            bounds: .init(width: width, height: height, duration: bounds["duration"] as? Double ?? .infinity))
        if let seconds = o["lock_seconds"], !(seconds is NSNull) {
            guard let seconds = seconds as? Int64, (1...maxLockSeconds).contains(seconds) else {
                throw field("lock_seconds", "must be 1-\(maxLockSeconds) seconds")
            }
            assignment.lockSeconds = seconds
        }
        return assignment
    }

    /// The longest lock a lease may ask for: 100 years.
    static let maxLockSeconds: Int64 = 100 * 366 * 86_400

    /// A success: the derived file's SHA-256, size, chunk size and chunk list, and how the redaction went.
    public static func report(_ r: RedactionReport) -> [String: Any] {
        ["sha256": r.sha256.hex, "size": r.size, "chunk_size": r.chunkSize, "chunks": chunkList(r.chunks),
         "damaged_packets": r.damagedPackets, "dropped_streams": r.droppedStreams]
    }

    public static func report(_ bytes: [UInt8]) throws -> RedactionReport {
        let o = try object(bytes)
        guard let sha256 = (o["sha256"] as? String).flatMap(SHA256Digest.init(hex:)) else {
            throw field("sha256", "must be 64 hex digits")
        }
        guard let size = o["size"] as? Int64, size > 0 else { throw field("size", "must be a positive integer") }
        guard let chunkSize = o["chunk_size"] as? Int, chunkSize > 0 else {
            throw field("chunk_size", "must be a positive integer")
        }
        var report = RedactionReport(sha256: sha256, size: size, chunkSize: chunkSize,
                                     chunks: try chunkList(o["chunks"]))
        report.damagedPackets = max(0, o["damaged_packets"] as? Int ?? 0)
        let dropped = o["dropped_streams"] as? [String] ?? []
        guard dropped.count <= 64, dropped.allSatisfy({ $0.utf8.count <= 200 }) else {
            throw field("dropped_streams", "at most 64 descriptions of 200 bytes")
        }
        report.droppedStreams = dropped
        return report
    }

    /// A failure: `{"error": "..."}`, at most 1000 characters kept.
    public static func failure(_ bytes: [UInt8]) throws -> String {
        guard let error = try object(bytes)["error"] as? String, !error.isEmpty else {
            throw field("error", "must say what failed")
        }
        return String(error.prefix(1000))
    }

    /// At most this many chunks in a list: 64 GiB in chunks of the smallest usual size, 4 MiB.
    static let maxChunks = 16_384

    static func chunkList(_ chunks: [(digest: SHA256Digest, size: Int)]) -> [[String: Any]] {
        chunks.map { ["sha256": $0.digest.hex, "size": $0.size] }
    }

    static func chunkList(_ value: Any?) throws -> [(digest: SHA256Digest, size: Int)] {
        guard let list = value as? [[String: Any]], !list.isEmpty, list.count <= maxChunks else {
            throw field("chunks", "must be a list of 1-\(maxChunks) {\"sha256\", \"size\"} objects")
        }
        return try list.map { item in
            guard let digest = (item["sha256"] as? String).flatMap(SHA256Digest.init(hex:)),
                  let size = item["size"] as? Int, size > 0 else {
                throw field("chunks", "each chunk needs a sha256 of 64 hex digits and a positive size")
            }
            return (digest, size)
        }
    }

    private static func object(_ bytes: [UInt8]) throws -> [String: Any] {
        guard let o = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw CustodyError.invalidInput(field: "body", "the body must be a JSON object")
        }
        return o
    }

    private static func field(_ name: String, _ problem: String) -> CustodyError {
        .invalidInput(field: name, "\(name) \(problem)")
    }
}
