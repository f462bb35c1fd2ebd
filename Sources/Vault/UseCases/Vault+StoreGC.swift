import Catalog
import CustodyCore
import Foundation
import Ledger
import Storage

/// What `custody store gc` found and did.
public struct StoreGCReport: Sendable {
    public let dryRun: Bool
    /// The grace period, in seconds: objects written more recently are left alone whatever they are.
    public let olderThan: Int64
    /// Objects listed in the store, and how many of them no exhibit references but are younger than the grace.
    public var listed = 0
    public var young = 0
    /// Unreferenced objects older than the grace: deleted (dry: would be), or kept by the store's lock.
    public var deleted: [SHA256Digest] = []
    public var locked: [(chunk: SHA256Digest, until: Int64?)] = []
}

/// `custody store gc`: removes the store's objects no exhibit references (live, restorable, or purged and not yet
/// freed) once they are older than a grace period. An ingest stores its chunks before it catalogues them, so a
/// young unreferenced object may be one on its way in: the grace (default a day) leaves those alone, and each
/// deletion is decided again in the write transaction, as `freePurgedChunks` does, so no ingest takes a chunk up
/// meanwhile (`catalogue` checks its chunks are there in its own). Objects the store keeps under Object Lock are
/// reported and stay. A `retention` event (`change: store gc`) is written before anything is deleted.
extension Vault {
    public static let defaultGCGrace: Int64 = 86_400

    public func collectGarbage(olderThan grace: Int64 = defaultGCGrace, dryRun: Bool = false, by actor: Actor,
                               progress: ((Int, Int) -> Void)? = nil) throws -> StoreGCReport {
        var details = ["change": "store gc", "older_than": String(grace)]
        try authorize(actor, to: .manageRetention, details: details)
        try refuseIfMoved()
        guard let listing = store as? DatedChunkListing else {
            throw CustodyError.failure("this chunk store cannot say how old its objects are")
        }
        var report = StoreGCReport(dryRun: dryRun, olderThan: grace)
        let cutoff = Date(timeIntervalSince1970: Double(clock.now() - grace))
        var candidates: [SHA256Digest] = []
        var cursor: SHA256Digest?
        repeat {
            let page = try listing.listDated(after: cursor, limit: 1000)
            cursor = page.last?.digest
            report.listed += page.count
            let referenced = try self.referenced(page.map(\.digest))
            for object in page where !referenced.contains(object.digest) {
                if object.modified < cutoff { candidates.append(object.digest) } else { report.young += 1 }
            }
            progress?(report.listed, 0)
            if page.count < 1000 { break }
        } while true
        guard !dryRun else {
            report.deleted = candidates
            return report
        }
        details["candidates"] = String(candidates.count)
        details["listed"] = String(report.listed)
        if !candidates.isEmpty { try record(CustodyEvent(actor: actor, action: .retention, details: details)) }
        let locks = try ChunkLockRegistry(db: db)
        for start in stride(from: 0, to: candidates.count, by: 100) {
            try db.transaction {
                for chunk in candidates[start..<min(start + 100, candidates.count)] {
                    guard try referenced([chunk]).isEmpty else { continue }
                    if try deleteChunk(chunk, locks, refused: { report.locked.append((chunk, $0)) }) {
                        report.deleted.append(chunk)
                    }
                }
            }
            progress?(report.listed, report.deleted.count)
        }
        return report
    }

    /// Those of `chunks` an exhibit references that is live, restorable, or purged with its chunks not yet freed,
    /// and those an upload under way has received (`chunksOfUploadsUnderWay`).
    func referenced(_ chunks: [SHA256Digest]) throws -> Set<SHA256Digest> {
        guard !chunks.isEmpty else { return [] }
        let marks = Array(repeating: "?", count: chunks.count).joined(separator: ",")
        return try chunksOfUploadsUnderWay(chunks).union(try db.query("""
            SELECT DISTINCT c.chunk FROM exhibit_chunks c JOIN exhibits e ON e.num = c.exhibit
            LEFT JOIN deletions d ON d.exhibit = e.id WHERE c.chunk IN (\(marks)) AND (d.freed IS NULL OR d.freed = 0)
            """, chunks.map { .text($0.hex) }).compactMap { $0.text(0).flatMap(SHA256Digest.init(hex:)) })
    }
}
