import CCRC32

/// CRC-32 as ZIP, gzip and PNG use it (ISO-HDLC: reflected polynomial 0xEDB88320, initial value and
/// final XOR 0xFFFFFFFF; `"123456789"` gives 0xCBF43926), computed by slicing-by-8: eight table
/// lookups per 8 bytes. In Swift rather than from zlib, which is no declared dependency of custody
/// (only OpenSSL, FFmpeg and SQLite are) and would need a C module of its own for one function.
/// Where the CPU has PCLMULQDQ, the bulk of each input of 64 bytes or more is folded by carry-less
/// multiplication instead (CCRC32, about ten times faster: a bundle's CRC then costs a fraction of
/// its SHA-256); the tables take the last bytes, and everything on other CPUs.
public struct CRC32: Sendable {
    /// The CRC of the bytes so far.
    public var value: UInt32 { ~state }
    private var state: UInt32 = 0xFFFF_FFFF

    public init() {}

    /// The CRC of `bytes` in one go.
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc = CRC32()
        crc.update(bytes)
        return crc.value
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }

    /// Adds `bytes` to the CRC.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var base = bytes.baseAddress, !bytes.isEmpty else { return }
        var count = bytes.count
        if Self.useCarryless && count >= 64 {
            let bulk = count & ~15
            state = custody_crc32_clmul(state, base.assumingMemoryBound(to: UInt8.self), bulk)
            base += bulk
            count -= bulk
            if count == 0 { return }
        }
        state = crc32Tables.withUnsafeBufferPointer { table in
            CRC32.update(state, base, count, table.baseAddress!)
        }
    }

    /// Whether `update` folds with PCLMULQDQ (the CPU has it); tests turn it off to compare.
    nonisolated(unsafe) public static var useCarryless = custody_crc32_clmul_available() == 1

    private static func update(_ start: UInt32, _ base: UnsafeRawPointer, _ count: Int,
                               _ t: UnsafePointer<UInt32>) -> UInt32 {
        var crc = start
        var p = base
        var rest = count
        while rest >= 8 {
            // Little-endian words: the low byte of `a` is the first byte of the stream.
            let a = p.loadUnaligned(as: UInt32.self).littleEndian ^ crc
            let b = (p + 4).loadUnaligned(as: UInt32.self).littleEndian
            crc = t[7 * 256 + Int(a & 0xFF)] ^ t[6 * 256 + Int((a >> 8) & 0xFF)]
                ^ t[5 * 256 + Int((a >> 16) & 0xFF)] ^ t[4 * 256 + Int(a >> 24)]
                ^ t[3 * 256 + Int(b & 0xFF)] ^ t[2 * 256 + Int((b >> 8) & 0xFF)]
                ^ t[1 * 256 + Int((b >> 16) & 0xFF)] ^ t[Int(b >> 24)]
            p += 8
            rest -= 8
        }
        while rest > 0 {
            crc = t[Int((crc ^ UInt32(p.load(as: UInt8.self))) & 0xFF)] ^ (crc >> 8)
            p += 1
            rest -= 1
        }
        return crc
    }
}

/// Table k holds the CRC of a byte followed by k zero bytes: `t[k][i] = t[0][t[k-1][i] & 0xFF] ^
/// (t[k-1][i] >> 8)`. Eight tables of 256, one after the other.
private let crc32Tables: [UInt32] = {
    var t = [UInt32](repeating: 0, count: 8 * 256)
    for i in 0..<256 {
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        t[i] = c
    }
    for k in 1..<8 {
        for i in 0..<256 {
            let previous = t[(k - 1) * 256 + i]
            t[k * 256 + i] = t[Int(previous & 0xFF)] ^ (previous >> 8)
        }
    }
    return t
}()
