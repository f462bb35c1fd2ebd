import CustodyCore

extension Merkle {
    /// RFC 9162 2.1.3.2: the root that `proof` leads to from `leafHash` at `index` in a tree of `size`,
    /// or nil when the proof cannot be for that position (wrong length, index out of range).
    public static func rootFromInclusionProof(index: UInt64, size: UInt64, leafHash: [UInt8],
                                              proof: [[UInt8]]) -> [UInt8]? {
        guard index < size, leafHash.count == 32, proof.allSatisfy({ $0.count == 32 }) else { return nil }
        var fn = index, sn = size - 1
        var r = SHA256Digest(bytes: leafHash)
        for p in proof.map(SHA256Digest.init(bytes:)) {
            if sn == 0 { return nil }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 ? r.bytes : nil
    }

    /// True when `proof` shows that `leafHash` is leaf `index` of the tree of `size` leaves with `root`.
    public static func verifyInclusion(index: UInt64, size: UInt64, leafHash: [UInt8], proof: [[UInt8]],
                                       root: [UInt8]) -> Bool {
        guard root.count == 32, let computed = rootFromInclusionProof(index: index, size: size, leafHash: leafHash,
                                                                       proof: proof) else { return false }
        return computed == root
    }

    /// RFC 9162 2.1.4.2: true when `proof` shows that the tree of `oldSize` leaves with `oldRoot` is a
    /// prefix of the tree of `newSize` leaves with `newRoot`.
    public static func verifyConsistency(oldSize: UInt64, newSize: UInt64, oldRoot: [UInt8], newRoot: [UInt8],
                                         proof: [[UInt8]]) -> Bool {
        // Nothing is proved about an empty tree; equal sizes need no proof, only equal roots.
        guard oldSize > 0, oldSize <= newSize else { return false }
        if oldSize == newSize { return proof.isEmpty && oldRoot == newRoot }
        guard oldRoot.count == 32, newRoot.count == 32, !proof.isEmpty, proof.allSatisfy({ $0.count == 32 }) else {
            return false
        }
        var path = proof.map(SHA256Digest.init(bytes:))
        if oldSize & (oldSize - 1) == 0 { path.insert(SHA256Digest(bytes: oldRoot), at: 0) }
        var fn = oldSize - 1, sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0], sr = path[0]
        for c in path.dropFirst() {
            if sn == 0 { return false }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && fr.bytes == oldRoot && sr.bytes == newRoot
    }
}
