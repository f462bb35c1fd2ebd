import CustodyCore
import SQLite

extension Vault {
    /// Those of `chunks` that an active upload lists as pieces it has received whole: a store that gains from it
    /// holds them before the upload completes (`EarlyChunkStore`), and its completion takes them as stored. No
    /// exhibit references them yet, but deleting one (`store gc`, a purge) would leave that completion
    /// cataloguing a chunk that is gone, its piece file removed. Call in the transaction that deletes.
    func chunksOfUploadsUnderWay(_ chunks: [SHA256Digest]) throws -> Set<SHA256Digest> {
        guard !chunks.isEmpty, try !db.query("""
            SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'upload_pieces'
            """).isEmpty else { return [] }
        let marks = Array(repeating: "?", count: chunks.count).joined(separator: ",")
        return Set(try db.query("""
            SELECT DISTINCT p.chunk FROM upload_pieces p JOIN uploads u ON u.id = p.upload
            WHERE u.state = 'active' AND p.chunk IN (\(marks))
            """, chunks.map { .text($0.hex) }).compactMap { $0.text(0).flatMap(SHA256Digest.init(hex:)) })
    }
}
