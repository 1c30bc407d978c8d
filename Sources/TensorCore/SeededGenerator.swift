#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small, fast, reproducible random number generator: xoshiro256** seeded through SplitMix64.
///
/// Lessons must show the same "random" weights on every run and every machine, so we never use
/// the system generator, and we convert bits to floats ourselves: the standard library's
/// `Float.random(in:using:)` is free to change its algorithm between releases.
///
/// References: Blackman & Vigna, "Scrambled linear pseudorandom number generators" (2018);
/// https://prng.di.unimi.it/xoshiro256starstar.c and splitmix64.c.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    // The four words of xoshiro256** state. They must never all be zero; SplitMix64 cannot
    // produce four zero outputs in a row, so seeding through it guarantees that.
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// A generator whose stream is fixed by `seed`: the same seed gives the same numbers on every
    /// run and platform; any seed, 0 included, is fine.
    public init(seed: UInt64) {
        // SplitMix64 spreads any seed (even 0 or 1) over all 256 bits, so nearby seeds
        // give unrelated streams.
        var splitMix = SplitMix64(state: seed)
        s0 = splitMix.next()
        s1 = splitMix.next()
        s2 = splitMix.next()
        s3 = splitMix.next()
    }

    /// The next 64 random bits (xoshiro256**).
    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, by: 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, by: 45)
        return result
    }

    /// A uniform Float in [0, 1).
    ///
    /// A Float has a 24-bit significand, so we take the top 24 bits (the best bits of
    /// xoshiro256**) and scale by 2⁻²⁴: every result is an exact multiple of 2⁻²⁴ and 1.0
    /// can never come out.
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// A standard normal Float (mean 0, standard deviation 1), by the Box–Muller transform.
    ///
    /// Box–Muller needs log(u) with u in (0, 1]; `1 - nextUniform()` is exactly in that range
    /// (it is a multiple of 2⁻²⁴ between 2⁻²⁴ and 1), so log(0) cannot happen.
    /// The arithmetic is done in Double and rounded once to Float, which makes the result
    /// insensitive to last-ulp differences between the libm of different platforms.
    /// Only the cosine half of each pair is used: one normal per call keeps the generator's
    /// state to the four xoshiro words, so a stream depends only on the seed and the calls made.
    public mutating func nextNormal() -> Float {
        let u1 = 1 - Double(nextUniform())   // (0, 1]
        let u2 = Double(nextUniform())       // [0, 1)
        let radius = (-2 * log(u1)).squareRoot()
        return Float(radius * cos(2 * Double.pi * u2))
    }

    @inline(__always)
    private func rotateLeft(_ x: UInt64, by k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }
}

/// SplitMix64 (Steele, Lea & Flood 2014), used only to turn one 64-bit seed into
/// the 256 bits of xoshiro state, as its authors recommend.
struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
