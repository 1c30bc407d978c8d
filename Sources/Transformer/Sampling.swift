#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

// Choosing the next token from a model's logits (lesson 0 and lesson 12).
//
// A language model's last layer gives one score (logit) per vocabulary entry. Turning those into
// one chosen token is a small pipeline, each stage a pure function on a plain `[Float]`:
//
//     logits ──softmax──▶ p                        the model's own distribution
//     logits / T ──softmax──▶ p_T                  temperature: T < 1 sharpens, T > 1 flattens
//     p_T ──top-k──▶ p_k                           keep the k most likely tokens, renormalise
//     p_k ──top-p──▶ p_p                           keep the smallest head whose mass reaches p
//     draw one id from p_p                          (a seeded generator, so runs repeat)
//
// The order (temperature, then top-k, then top-p) is the one Hugging Face's `generate` uses
// (Holtzman et al. 2020, "The Curious Case of Neural Text Degeneration", for top-p/nucleus
// sampling; Fan et al. 2018 for top-k). Greedy decoding is the limit T → 0: all the mass goes to
// the largest logit, so `SamplingStrategy.greedy` simply takes the argmax.

/// Softmax of a vector of logits, computed stably (the maximum is subtracted first).
///
/// −∞ logits get probability exactly 0. Throws `TransformerError.invalidInput` for an empty
/// vector, a NaN or +∞ logit, or when every logit is −∞ (there is no distribution to speak of).
public func softmax(_ logits: [Float]) throws -> [Float] {
    let operation = "softmax"
    guard !logits.isEmpty else {
        throw TransformerError.invalidInput(operation: operation, reason: "there are no logits")
    }
    if let bad = logits.firstIndex(where: { $0.isNaN || $0 == .infinity }) {
        throw TransformerError.invalidInput(operation: operation,
                                            reason: "logit \(bad) is \(logits[bad]); logits must be finite or −∞")
    }
    let maximum = logits.max()!
    guard maximum > -.infinity else {
        throw TransformerError.invalidInput(operation: operation, reason: "every logit is −∞: no token is possible")
    }
    // exp(−∞ − max) = 0 exactly, so masked tokens never get mass and nothing becomes NaN.
    let exps = logits.map { Double(exp($0 - maximum)) }
    let total = exps.reduce(0, +)                         // ≥ 1: the maximum contributes exp(0)
    return exps.map { Float($0 / total) }
}

/// The logits divided by `temperature` (which must be > 0).
///
/// softmax(logits / T): T = 1 leaves the distribution as it is, T < 1 sharpens it, T > 1 flattens
/// it towards uniform. As T → 0 every token but the argmax gets probability → 0, so greedy
/// decoding is the limit of temperature sampling; use `SamplingStrategy.greedy` for it rather
/// than a tiny temperature. −∞ stays −∞.
public func applyTemperature(_ logits: [Float], _ temperature: Float) throws -> [Float] {
    guard temperature > 0, temperature.isFinite else {
        throw TransformerError.invalidInput(
            operation: "applyTemperature",
            reason: "temperature must be a finite number > 0 (got \(temperature)); for T → 0 use greedy decoding")
    }
    return logits.map { $0 / temperature }
}

/// The index of the largest logit (the lowest index among ties): greedy decoding's choice.
/// Throws for an empty vector or a NaN.
public func greedyTokenID(_ logits: [Float]) throws -> Int {
    guard !logits.isEmpty else {
        throw TransformerError.invalidInput(operation: "greedyTokenID", reason: "there are no logits")
    }
    if let bad = logits.firstIndex(where: \.isNaN) {
        throw TransformerError.invalidInput(operation: "greedyTokenID", reason: "logit \(bad) is NaN")
    }
    var best = 0
    for index in logits.indices where logits[index] > logits[best] { best = index }
    return best
}

/// Token ids ordered from most to least likely; equal probabilities keep the lower id first.
/// This one order is used by `topK`, `topP` and the figures, so ties are always broken the same way.
public func rankedTokenIDs(_ probabilities: [Float]) -> [Int] {
    probabilities.indices.sorted { a, b in
        probabilities[a] != probabilities[b] ? probabilities[a] > probabilities[b] : a < b
    }
}

/// The first `count` ids of `rankedTokenIDs(probabilities)`, without sorting the whole
/// vocabulary: one pass that keeps the best `count` seen so far in order. For the 5 or 8
/// candidates `tx generate` shows out of SmolLM2's 49,152 tokens this is a few comparisons per
/// token instead of a full sort (which cost about a sixth of a decoding step).
public func topRankedTokenIDs(_ probabilities: [Float], count: Int) -> [Int] {
    let count = min(max(0, count), probabilities.count)
    guard count > 0 else { return [] }
    // The same order as `rankedTokenIDs`: higher probability first, then the lower id.
    func before(_ a: Int, _ b: Int) -> Bool {
        probabilities[a] != probabilities[b] ? probabilities[a] > probabilities[b] : a < b
    }
    var best: [Int] = []
    best.reserveCapacity(count + 1)
    for id in probabilities.indices {
        if best.count == count {
            guard before(id, best[count - 1]) else { continue }
            best.removeLast()
        }
        var slot = best.count
        while slot > 0 && before(id, best[slot - 1]) { slot -= 1 }
        best.insert(id, at: slot)
    }
    return best
}

/// Keeps only the ids in `kept`, sets the rest to 0 and renormalises.
private func renormalised(_ probabilities: [Float], keeping kept: ArraySlice<Int>) -> [Float] {
    var result = [Float](repeating: 0, count: probabilities.count)
    let mass = kept.reduce(0.0) { $0 + Double(probabilities[$1]) }
    guard mass > 0 else { return result }
    for id in kept { result[id] = Float(Double(probabilities[id]) / mass) }
    return result
}

/// Top-k filtering: keeps exactly the `k` most likely tokens (ties broken by the lower id, see
/// `rankedTokenIDs`), sets every other probability to 0 and renormalises the kept ones to sum to 1.
/// `k` ≥ the vocabulary size keeps everything. Throws for k < 1.
public func topK(_ probabilities: [Float], _ k: Int) throws -> [Float] {
    guard k >= 1 else {
        throw TransformerError.invalidInput(operation: "topK", reason: "k must be at least 1 (got \(k))")
    }
    return renormalised(probabilities, keeping: rankedTokenIDs(probabilities).prefix(k))
}

/// Top-p (nucleus) filtering: sorts the tokens by probability (ties: lower id first) and keeps
/// the smallest prefix whose total mass reaches `p`, then renormalises.
///
/// "Reaches" means ≥, so with probabilities [0.5, 0.25, 0.125, 0.125] and p = 0.75 exactly two
/// tokens are kept. Sums are taken in Double and compared with a tolerance of 1e-6, so a
/// boundary that is exact on paper (0.5 + 0.3 = 0.8) is not missed by a rounding error.
/// p = 1 keeps every token with non-zero probability. Throws unless 0 < p ≤ 1.
public func topP(_ probabilities: [Float], _ p: Float) throws -> [Float] {
    guard p > 0, p <= 1 else {
        throw TransformerError.invalidInput(operation: "topP", reason: "p must be in (0, 1] (got \(p))")
    }
    let ranked = rankedTokenIDs(probabilities)
    var mass = 0.0
    var count = 0
    for id in ranked {
        guard probabilities[id] > 0 else { break }     // zero-probability tokens never join the nucleus
        mass += Double(probabilities[id])
        count += 1
        if mass >= Double(p) - 1e-6 { break }
    }
    return renormalised(probabilities, keeping: ranked.prefix(max(count, 1)))
}

// MARK: - Options and the sampler

/// How to sample: temperature, optional top-k and top-p filters, and the seed of the draws.
public struct SamplingOptions: Sendable, Equatable {
    /// Must be > 0. 1 = the model's own distribution.
    public var temperature: Float
    /// Keep only the k most likely tokens (nil: no top-k filter).
    public var topK: Int?
    /// Keep the smallest set of most likely tokens whose mass reaches p (nil: no top-p filter).
    public var topP: Float?
    /// Seed of the generator the draws come from: same seed, same draws.
    public var seed: UInt64

    /// Options as given; `validate()` (or `Sampler.init`) checks them. The defaults sample from the
    /// model's own distribution with seed 0.
    public init(temperature: Float = 1, topK: Int? = nil, topP: Float? = nil, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
    }

    /// Throws `TransformerError.invalidInput` naming the first bad option.
    public func validate() throws {
        let operation = "SamplingOptions"
        guard temperature > 0, temperature.isFinite else {
            throw TransformerError.invalidInput(
                operation: operation,
                reason: "temperature must be a finite number > 0 (got \(temperature)); for T → 0 use SamplingStrategy.greedy")
        }
        if let topK, topK < 1 {
            throw TransformerError.invalidInput(operation: operation, reason: "topK must be at least 1 (got \(topK))")
        }
        if let topP, !(topP > 0 && topP <= 1) {
            throw TransformerError.invalidInput(operation: operation, reason: "topP must be in (0, 1] (got \(topP))")
        }
    }
}

/// Greedy decoding (always the most likely token) or sampling with options.
public enum SamplingStrategy: Sendable, Equatable {
    /// The argmax: the limit of temperature sampling as T → 0.
    case greedy
    case sample(SamplingOptions)
}

/// One choice with every intermediate distribution, so a figure can show each stage.
/// All four distributions have one entry per vocabulary id and sum to 1.
public struct SamplingStep: Sendable, Equatable {
    /// The chosen token id.
    public let id: Int
    /// softmax(logits): the model's distribution before temperature.
    public let original: [Float]
    /// softmax(logits / T).
    public let afterTemperature: [Float]
    /// After the top-k filter (equal to `afterTemperature` without one).
    public let afterTopK: [Float]
    /// After the top-p filter (equal to `afterTopK` without one): what `id` was drawn from.
    public let afterTopP: [Float]

    /// The distribution the id was drawn from.
    public var final: [Float] { afterTopP }
}

/// Draws token ids from logits with temperature, top-k and top-p, from its own seeded generator.
///
///     var sampler = try Sampler(options: SamplingOptions(temperature: 0.8, topK: 5, seed: 42))
///     let step = try sampler.sample(logits: [2.0, 1.0, 0.5, -1.0])
///     step.id            // the chosen token
///     step.afterTopK     // what the top-k filter left
public struct Sampler: Sendable {
    /// The options every draw uses (validated).
    public let options: SamplingOptions
    /// The generator the draws come from, advanced by each draw.
    public private(set) var generator: SeededGenerator

    /// Validates the options (`TransformerError.invalidInput` if one is bad) and seeds the generator.
    public init(options: SamplingOptions) throws {
        try options.validate()
        self.options = options
        generator = SeededGenerator(seed: options.seed)
    }

    /// Runs the whole pipeline on one vector of logits and draws one id.
    public mutating func sample(logits: [Float]) throws -> SamplingStep {
        let original = try softmax(logits)
        let tempered = options.temperature == 1 ? original : try softmax(applyTemperature(logits, options.temperature))
        let afterTopK = try options.topK.map { try topK(tempered, $0) } ?? tempered
        let afterTopP = try options.topP.map { try topP(afterTopK, $0) } ?? afterTopK
        let id = draw(from: afterTopP)
        return SamplingStep(id: id, original: original, afterTemperature: tempered, afterTopK: afterTopK,
                            afterTopP: afterTopP)
    }

    /// Draws one id from a distribution (which need not be exactly normalised): inverse transform
    /// sampling with one uniform number u ∈ [0, 1), the first id whose cumulative mass exceeds
    /// u × total. Ids with probability 0 are never drawn.
    public mutating func draw(from probabilities: [Float]) -> Int {
        let total = probabilities.reduce(0.0) { $0 + Double(max(0, $1)) }
        let target = Double(generator.nextUniform()) * total
        var cumulative = 0.0
        var last = 0
        for (id, p) in probabilities.enumerated() where p > 0 {
            cumulative += Double(p)
            last = id
            if cumulative > target { return id }
        }
        return last   // only reached through rounding at the very top of the range
    }
}
