import Crypto
import CustodyCore

/// RFC 6962 / RFC 9162 Merkle tree hashing, proof generation and proof verification.
///
/// Leaves hash as `SHA-256(0x00 || leaf)`, interior nodes as `SHA-256(0x01 || left || right)`, and a
/// tree of n leaves splits at the largest power of two below n. Generation works over any source of
/// subtree hashes (the stored tree in SQLite, or an in-memory list in tests); verification needs
/// nothing but the proof, which is what an outside verifier holds.
public enum Merkle {
    /// The root of the empty tree: SHA-256 of no bytes.
    public static let emptyRoot = SHA256.hash([UInt8]())

    public static func leafHash(_ leaf: [UInt8]) -> SHA256Digest {
        SHA256.hash([0x00] + leaf)
    }

    public static func nodeHash(_ left: SHA256Digest, _ right: SHA256Digest) -> SHA256Digest {
        var buffer = [UInt8](repeating: 0x01, count: 65)
        buffer.replaceSubrange(1..<33, with: left.bytes)
        buffer.replaceSubrange(33..<65, with: right.bytes)
        return SHA256.hash(buffer)
    }

    /// The largest power of two strictly less than `n` (n >= 2): where RFC 6962 splits a tree.
    static func split(_ n: UInt64) -> UInt64 {
        precondition(n >= 2)
        return UInt64(1) << (63 - (n - 1).leadingZeroBitCount)
    }

    /// The hash of the subtree over leaves `[start, end)`, for any range the RFC 6962 split produces.
    /// A complete subtree (a power-of-two size starting at a multiple of it) comes from `complete`,
    /// which receives its level (log2 of its size) and index at that level; others are combined.
    public static func subtreeHash(_ start: UInt64, _ end: UInt64,
                                   complete: (_ level: Int, _ index: UInt64) throws -> SHA256Digest)
        throws -> SHA256Digest
    {
        let n = end - start
        precondition(n >= 1)
        if n & (n - 1) == 0 && start % n == 0 {
            let level = n.trailingZeroBitCount
            return try complete(level, start >> UInt64(level))
        }
        let k = split(n)
        return nodeHash(try subtreeHash(start, start + k, complete: complete),
                        try subtreeHash(start + k, end, complete: complete))
    }

    /// PATH(m, D[0:n]) of RFC 9162 2.1.3.1: the audit path from leaf `index` to the root of a tree of
    /// `size` leaves, leaf's sibling first.
    public static func inclusionProof(index: UInt64, size: UInt64,
                                      complete: (Int, UInt64) throws -> SHA256Digest) throws -> [SHA256Digest] {
        precondition(index < size)
        var path = [SHA256Digest]()
        func walk(_ m: UInt64, _ start: UInt64, _ end: UInt64) throws {
            let n = end - start
            if n <= 1 { return }
            let k = split(n)
            if m < k {
                try walk(m, start, start + k)
                path.append(try subtreeHash(start + k, end, complete: complete))
            } else {
                try walk(m - k, start + k, end)
                path.append(try subtreeHash(start, start + k, complete: complete))
            }
        }
        try walk(index, 0, size)
        return path
    }

    /// PROOF(m, D[0:n]) of RFC 9162 2.1.4.1: proves a tree of `oldSize` leaves is a prefix of one of
    /// `newSize`. Empty when the sizes are equal or the old tree is empty.
    public static func consistencyProof(oldSize: UInt64, newSize: UInt64,
                                        complete: (Int, UInt64) throws -> SHA256Digest) throws -> [SHA256Digest] {
        precondition(oldSize <= newSize)
        guard oldSize > 0 && oldSize < newSize else { return [] }
        var path = [SHA256Digest]()
        func sub(_ m: UInt64, _ start: UInt64, _ end: UInt64, _ startsAtOld: Bool) throws {
            let n = end - start
            if m == n {
                if !startsAtOld { path.append(try subtreeHash(start, end, complete: complete)) }
                return
            }
            let k = split(n)
            if m <= k {
                try sub(m, start, start + k, startsAtOld)
                path.append(try subtreeHash(start + k, end, complete: complete))
            } else {
                try sub(m - k, start + k, end, false)
                path.append(try subtreeHash(start, start + k, complete: complete))
            }
        }
        try sub(oldSize, 0, newSize, true)
        return path
    }
}
