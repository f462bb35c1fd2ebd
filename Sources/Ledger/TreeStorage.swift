import CustodyCore
import SQLite

/// The Merkle tree of the ledger, stored as every complete subtree hash in table `ledger_hashes`.
///
/// Hashes are numbered in the order appending creates them (the numbering of Go's
/// `golang.org/x/mod/sumdb/tlog`): leaf i's hash, then the hashes of the complete subtrees leaf i
/// closes, bottom up. So appends and full scans are sequential in the table, and any subtree hash a
/// proof needs is one primary-key lookup: a proof over millions of events costs a few dozen reads.
final class TreeStorage {
    let db: Database
    private let select: Statement
    private let insert: Statement

    init(db: Database) throws {
        self.db = db
        select = try db.prepare("SELECT hash FROM ledger_hashes WHERE id = ?")
        insert = try db.prepare("INSERT INTO ledger_hashes (id, hash) VALUES (?, ?)")
    }

    /// The position in `ledger_hashes` of the complete subtree at `level` (size 2^level) and `index`.
    static func storedIndex(level: Int, index: UInt64) -> Int64 {
        var n = index
        for _ in 0..<level { n = 2 * n + 1 }
        var i: UInt64 = 0
        while n > 0 {
            i += n
            n >>= 1
        }
        return Int64(i) + Int64(level)
    }

    /// How many hashes a tree of `size` leaves stores.
    static func storedCount(size: UInt64) -> Int64 {
        guard size > 0 else { return 0 }
        return storedIndex(level: 0, index: size - 1) + 1 + Int64((size - 1).trailingNonzeroBitCount)
    }

    /// Reads one complete subtree hash.
    func hash(level: Int, index: UInt64) throws -> SHA256Digest {
        let id = Self.storedIndex(level: level, index: index)
        try select.bind([.integer(id)])
        let bytes = try select.next()?.blob(0)
        select.reset()
        guard let bytes, bytes.count == 32 else {
            throw CustodyError.integrity("the ledger's tree has no hash for level \(level) index \(index) (row \(id))")
        }
        return SHA256Digest(bytes: bytes)
    }

    /// The root of the first `size` leaves.
    func root(size: UInt64) throws -> SHA256Digest {
        size == 0 ? Merkle.emptyRoot : try Merkle.subtreeHash(0, size, complete: hash)
    }

    /// Stores leaf `index` (the tree has exactly `index` leaves before) and the subtrees it completes.
    func appendLeaf(_ leaf: SHA256Digest, index: UInt64) throws {
        var level = 0, i = index, current = leaf
        try insert.run([.integer(Self.storedIndex(level: 0, index: index)), .blob(leaf.bytes)])
        while i & 1 == 1 {
            current = Merkle.nodeHash(try hash(level: level, index: i - 1), current)
            level += 1
            i >>= 1
            try insert.run([.integer(Self.storedIndex(level: level, index: i)), .blob(current.bytes)])
        }
    }
}

extension UInt64 {
    /// Number of consecutive 1 bits at the low end.
    var trailingNonzeroBitCount: Int { (~self).trailingZeroBitCount }
}
