import CSHA256x2
import CustodyCore

/// Two SHA-256 hashes over one stream of bytes: `whole` over everything fed, `part` over the bytes
/// fed since the last `finishPart()` (a recording and the chunk being filled).
///
/// On CPUs with the x86 SHA extensions both are computed in one pass, their rounds
/// interleaved, in little more than the time of one (a single SHA-256 stream waits on each round's
/// latency); a `SHA256PairCompressor` goes further and runs two such pairs at once. Elsewhere, or
/// with `accelerated: false`, OpenSSL hashes the bytes twice. Parts must be whole 64-byte blocks,
/// except a last one after which nothing more is fed.
public final class SHA256Pair {
    /// True when this CPU computes both hashes in one pass.
    public static let isAccelerated = custody_sha256x2_available() == 1

    private let accelerated: Bool
    // Accelerated: the two states, the bytes of a block not yet complete, the lengths.
    private var whole = SHA256Pair.initialState
    private var part = SHA256Pair.initialState
    private var pending = [UInt8](repeating: 0, count: 64)
    private var pendingCount = 0
    private var wholeLength: UInt64 = 0
    private var partLength: UInt64 = 0
    private var partClosedMidBlock = false
    // Not accelerated: OpenSSL, twice.
    private var wholeSlow: SHA256?
    private var partSlow: SHA256?

    private static let initialState: [UInt32] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    ]

    /// Where long runs of blocks are compressed, paired with other streams' (accelerated only).
    private let compressor: SHA256PairCompressor?

    /// `compressor`: hand long runs of blocks to it (several streams hashed at once, as concurrent
    /// uploads are) instead of compressing them on the calling thread.
    public init(accelerated: Bool = SHA256Pair.isAccelerated, compressor: SHA256PairCompressor? = nil) {
        precondition(!accelerated || Self.isAccelerated, "this CPU has no SHA extensions")
        self.accelerated = accelerated
        self.compressor = accelerated ? compressor : nil
        if !accelerated {
            wholeSlow = SHA256()
            partSlow = SHA256()
        }
    }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard accelerated else {
            wholeSlow!.update(bytes)
            partSlow!.update(bytes)
            return
        }
        precondition(!partClosedMidBlock, "SHA256Pair: bytes fed after a part that ended inside a block")
        guard var p = bytes.baseAddress, bytes.count > 0 else { return }
        var n = bytes.count
        wholeLength += UInt64(n)
        partLength += UInt64(n)
        if pendingCount > 0 {
            let k = min(n, 64 - pendingCount)
            pending.withUnsafeMutableBytes { ($0.baseAddress! + pendingCount).copyMemory(from: p, byteCount: k) }
            pendingCount += k
            p += k
            n -= k
            guard pendingCount == 64 else { return }
            pending.withUnsafeBytes { compressBoth($0.baseAddress!, 1) }
            pendingCount = 0
        }
        if n >= 64 {
            compressBoth(p, n / 64)
            p += n - n % 64
            n %= 64
        }
        if n > 0 {
            pending.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: p, byteCount: n) }
            pendingCount = n
        }
    }

    /// The SHA-256 of the bytes fed since the last part ended; a new part starts.
    public func finishPart() -> SHA256Digest {
        guard accelerated else {
            defer { partSlow = SHA256() }
            return partSlow!.finalize()
        }
        precondition(!partClosedMidBlock, "SHA256Pair: a part after one that ended inside a block")
        let digest = Self.finish(&part, length: partLength, pending: pending, pendingCount: pendingCount)
        part = Self.initialState
        partLength = 0
        partClosedMidBlock = pendingCount > 0
        return digest
    }

    /// The SHA-256 of every byte fed. Call once, last.
    public func finishWhole() -> SHA256Digest {
        guard accelerated else { return wholeSlow!.finalize() }
        return Self.finish(&whole, length: wholeLength, pending: pending, pendingCount: pendingCount)
    }

    private func compressBoth(_ data: UnsafeRawPointer, _ blocks: Int) {
        let bytes = data.assumingMemoryBound(to: UInt8.self)
        whole.withUnsafeMutableBufferPointer { w in
            part.withUnsafeMutableBufferPointer { p in
                if let compressor {
                    compressor.compress(whole: w.baseAddress!, part: p.baseAddress!, data: bytes, blocks: blocks)
                } else {
                    custody_sha256x2_blocks(w.baseAddress!, p.baseAddress!, bytes, blocks)
                }
            }
        }
    }

    /// FIPS 180-4 padding: 0x80, zeros, the length in bits (big-endian) closing the last block.
    private static func finish(_ state: inout [UInt32], length: UInt64, pending: [UInt8], pendingCount: Int) -> SHA256Digest {
        var tail = [UInt8](repeating: 0, count: pendingCount < 56 ? 64 : 128)
        tail[0..<pendingCount] = pending[0..<pendingCount]
        tail[pendingCount] = 0x80
        let bits = length &* 8
        for i in 0..<8 { tail[tail.count - 1 - i] = UInt8(truncatingIfNeeded: bits >> (8 * UInt64(i))) }
        state.withUnsafeMutableBufferPointer { s in
            tail.withUnsafeBufferPointer { custody_sha256_blocks(s.baseAddress!, $0.baseAddress!, $0.count / 64) }
        }
        var out = [UInt8]()
        out.reserveCapacity(32)
        for word in state { out += [UInt8(word >> 24), UInt8(truncatingIfNeeded: word >> 16), UInt8(truncatingIfNeeded: word >> 8), UInt8(truncatingIfNeeded: word)] }
        return SHA256Digest(bytes: out)
    }
}
