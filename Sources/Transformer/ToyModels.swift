#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

/// A stand-in embedding table for untrained demonstrations: every distinct (lower-cased) word
/// gets a fixed random vector drawn from its own name and the seed, so the same word gets the
/// same row wherever it appears and the same seed gives the same numbers on every machine.
/// Trained embeddings replace it once the project ships trained models.
public struct ToyEmbedding: Sendable {
    /// The length of every vector.
    public let dimension: Int
    /// Mixed with each word's hash to draw its vector; another seed gives other vectors.
    public let seed: UInt64

    /// A table of `dimension`-long vectors drawn from `seed`.
    public init(dimension: Int, seed: UInt64) {
        self.dimension = dimension
        self.seed = seed
    }

    /// The vector of `token` (case-insensitive): `dimension` draws from N(0, 1), the same on every
    /// run.
    public func vector(for token: String) -> [Float] {
        var generator = SeededGenerator(seed: seed ^ fnv1a64(token.lowercased()))
        return (0..<dimension).map { _ in generator.nextNormal() }
    }

    /// The embeddings of `tokens`, one row each: [tokens.count, dimension].
    public func embed(_ tokens: [String]) throws -> Tensor {
        try Tensor(shape: [tokens.count, dimension], scalars: tokens.flatMap(vector(for:)))
    }
}

/// FNV-1a, a simple stable hash (Swift's own `hashValue` changes from run to run).
public func fnv1a64(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash = hash &* 0x0000_0100_0000_01B3
    }
    return hash
}

/// One attention head with its three projections: Q = X W_Q, K = X W_K, V = X W_V.
/// Weights are drawn from N(0, 1/d_model) so the projected vectors have about unit variance.
public struct AttentionHead: Sendable {
    /// W_Q, [d_model, d_k].
    public let queryWeights: Tensor   // W_Q [d_model, d_k]
    /// W_K, [d_model, d_k].
    public let keyWeights: Tensor     // W_K [d_model, d_k]
    /// W_V, [d_model, d_v].
    public let valueWeights: Tensor   // W_V [d_model, d_v]

    /// A head with the given projection matrices.
    public init(queryWeights: Tensor, keyWeights: Tensor, valueWeights: Tensor) {
        self.queryWeights = queryWeights
        self.keyWeights = keyWeights
        self.valueWeights = valueWeights
    }

    /// A randomly initialised head; `generator` makes it reproducible.
    public init(modelDimension: Int, keyDimension: Int, valueDimension: Int, using generator: inout SeededGenerator) {
        let deviation = 1 / Float(modelDimension).squareRoot()
        queryWeights = .randomNormal([modelDimension, keyDimension], standardDeviation: deviation, using: &generator)
        keyWeights = .randomNormal([modelDimension, keyDimension], standardDeviation: deviation, using: &generator)
        valueWeights = .randomNormal([modelDimension, valueDimension], standardDeviation: deviation, using: &generator)
    }

    /// Self-attention of `input` ([T, d_model]) with itself, every stage kept.
    public func callAsFunction(_ input: Tensor, mask: Tensor? = nil) throws -> AttentionStages {
        let query = try input.matmul(queryWeights)   // (T, d_k)
        let key = try input.matmul(keyWeights)       // (T, d_k)
        let value = try input.matmul(valueWeights)   // (T, d_v)
        return try scaledDotProductAttention(query: query, key: key, value: value, mask: mask)
    }
}

/// Shannon entropy (natural log) of a probability row: 0 when all weight is on one key,
/// ln(n) when it is spread evenly over n keys. Used to show softmax saturation.
public func entropy(_ probabilities: [Float]) -> Float {
    probabilities.reduce(Float(0)) { total, p in p > 0 ? total - p * log(p) : total }
}
