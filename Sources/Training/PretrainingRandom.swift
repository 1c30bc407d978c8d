import TensorCore
import Transformer

/// The random draws of the pre-training data generators, made from `SeededGenerator` bits with
/// arithmetic written out here, so the same seed gives the same data on every machine and with
/// every Swift release (the standard library's `Int.random(in:using:)` and `shuffle(using:)`
/// may change their algorithms).
enum PretrainingRandom {
    /// A uniform Double in [0, 1): the top 53 bits of one draw, times 2⁻⁵³.
    static func unit(using generator: inout SeededGenerator) -> Double {
        Double(generator.next() >> 11) * 0x1p-53
    }

    /// A uniform integer in 0..<bound (bound > 0), without modulo bias: draws below
    /// 2⁶⁴ mod bound are rejected, so every remainder is equally likely.
    static func index(below bound: Int, using generator: inout SeededGenerator) -> Int {
        precondition(bound > 0, "PretrainingRandom.index: bound must be positive, got \(bound)")
        let n = UInt64(bound)
        let threshold = (0 &- n) % n   // 2⁶⁴ mod n
        while true {
            let draw = generator.next()
            if draw >= threshold { return Int(draw % n) }
        }
    }

    /// Fisher–Yates: every order equally likely.
    static func shuffle<T>(_ items: inout [T], using generator: inout SeededGenerator) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            let j = index(below: i + 1, using: &generator)
            if i != j { items.swapAt(i, j) }
        }
    }
}
