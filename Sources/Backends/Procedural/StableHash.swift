import Chain

/// Hashing and pseudo-random numbers that are identical on every run and platform.
///
/// Swift's `Hasher` is randomly seeded per process, so the procedural backend uses FNV-1a with a final
/// avalanche step instead, and SplitMix64 for sequences of numbers.
enum StableHash {
    /// The 64-bit hash of `bytes`, well mixed so that similar inputs give unrelated values.
    ///
    /// - Parameters:
    ///   - bytes: The bytes to hash.
    ///   - seed: Mixed in first, to derive independent hashes of the same bytes.
    /// - Returns: FNV-1a 64 of the seed and bytes, passed through SplitMix64's finalizer.
    static func hash<S: Sequence<UInt8>>(_ bytes: S, seed: UInt64 = 0) -> UInt64 {
        var state: UInt64 = 0xcbf2_9ce4_8422_2325 ^ mix(seed)
        for byte in bytes {
            state ^= UInt64(byte)
            state &*= 0x0000_0100_0000_01B3
        }
        return mix(state)
    }

    /// The 64-bit hash of a string's UTF-8 bytes.
    static func hash(_ text: String, seed: UInt64 = 0) -> UInt64 { hash(text.utf8, seed: seed) }

    /// SplitMix64's finalizer: a bijective avalanche of all 64 bits.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A deterministic pseudo-random number generator (SplitMix64), seeded from stable hashes.
struct SplitMix64 {
    private var state: UInt64

    /// Creates a generator; the same seed always gives the same sequence.
    init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return StableHash.mix(state &- 0x9E37_79B9_7F4A_7C15)
    }

    /// A number in `range`, nearly uniform (the modulo bias is below 2^-40 for ranges used here).
    mutating func next(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
}
