/// SplitMix64: tiny, seedable, and the same sequence on every machine, so a failure reproduces.
public struct FuzzRandom: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound` (bound > 0).
    public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// The mutations libFuzzer would make, done deterministically: bit flips, inserted, deleted and
/// repeated bytes, dictionary tokens, truncation, splicing two seeds, and numbers (decimal runs and
/// little-endian length fields) set to their extremes.
public struct FuzzMutator {
    let dictionary: [[UInt8]]
    let seeds: [[UInt8]]
    static let extremeNumbers: [[UInt8]] = ["0", "1", "-1", "4294967295", "4294967296", "9223372036854775807",
                                            "9223372036854775808", "18446744073709551615", "18446744073709551616",
                                            "1e309", "00000000000000000000001"].map { Array($0.utf8) }

    public init(dictionary: [[UInt8]], seeds: [[UInt8]]) {
        self.dictionary = dictionary
        self.seeds = seeds
    }

    /// One to six mutations of `bytes`.
    public func mutate(_ bytes: [UInt8], random: inout FuzzRandom) -> [UInt8] {
        var out = bytes
        for _ in 0...random.below(6) { once(&out, &random) }
        return out
    }

    private func once(_ bytes: inout [UInt8], _ random: inout FuzzRandom) {
        let at = bytes.isEmpty ? 0 : random.below(bytes.count)
        let span = bytes.isEmpty ? 0 : min(1 + random.below(16), bytes.count - at)
        switch random.below(10) {
        case 0 where !bytes.isEmpty: bytes[at] ^= 1 << UInt8(random.below(8))
        case 1: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: at)
        case 2 where !bytes.isEmpty: bytes.removeSubrange(at..<at + span)
        case 3 where !bytes.isEmpty: bytes.insert(contentsOf: bytes[at..<at + span], at: at)
        case 4 where !dictionary.isEmpty: bytes.insert(contentsOf: dictionary[random.below(dictionary.count)], at: at)
        case 5: bytes.removeSubrange(random.below(bytes.count + 1)...)
        case 6 where !seeds.isEmpty:
            let other = seeds[random.below(seeds.count)]
            let from = random.below(other.count + 1)
            bytes = Array(bytes[..<at]) + other[from...]
        case 7: replaceDigits(&bytes, at: at, &random)
        case 8 where bytes.count >= 8:
            // A little-endian field of 2, 4 or 8 bytes set to an extreme.
            let width = [2, 4, 8][random.below(3)]
            let start = random.below(bytes.count - width + 1)
            let fills = [[UInt8](repeating: 0xFF, count: width), [UInt8](repeating: 0, count: width),
                         [UInt8](repeating: 0xFF, count: width - 1) + [0x7F],
                         [UInt8](repeating: 0, count: width - 1) + [0x80]]
            let fill = fills[random.below(fills.count)]
            bytes.replaceSubrange(start..<start + width, with: fill)
        default: bytes.insert(contentsOf: [UInt8](repeating: bytes.isEmpty ? 0x30 : bytes[at], count: span + 1), at: at)
        }
    }

    /// The run of decimal digits at or after `at`, replaced by an extreme number.
    private func replaceDigits(_ bytes: inout [UInt8], at: Int, _ random: inout FuzzRandom) {
        let isDigit: (UInt8) -> Bool = { $0 >= 0x30 && $0 <= 0x39 }
        let number = Self.extremeNumbers[random.below(Self.extremeNumbers.count)]
        guard let start = bytes[at...].firstIndex(where: isDigit) else {
            bytes.insert(contentsOf: number, at: at)
            return
        }
        let end = bytes[start...].firstIndex(where: { !isDigit($0) }) ?? bytes.endIndex
        bytes.replaceSubrange(start..<end, with: number)
    }
}
