import TensorCore

/// Root-mean-square layer normalisation (Zhang & Sennrich 2019, "Root Mean Square Layer
/// Normalization"):
///
///     y = x / √(mean(x²) + ε) · g
///
/// `LayerNorm` without its two centring steps: no mean is subtracted and no β is added; only
/// the size of each token's vector is normalised (its root mean square becomes 1) before the
/// learned gain g scales each feature. The paper found that the re-centring contributes little
/// and costs time. Llama (Touvron et al. 2023), and SmolLM2 after it, put one before every
/// attention and feed-forward sublayer and one before the output projection.
public struct RMSNorm: Sendable {
    /// g [size], the learned gain per feature (initially ones).
    public let weight: Tensor
    /// Added to the mean square before the square root so an all-zero row does not divide by zero.
    public let epsilon: Float

    /// The number of features normalised (the last axis of the input).
    public var size: Int { weight.shape[0] }

    /// The initial norm: g = 1, so it only normalises. `size` must be positive.
    public init(size: Int, epsilon: Float = 1e-5) {
        precondition(size > 0, "RMSNorm: size must be positive, got \(size)")
        weight = .ones([size])
        self.epsilon = epsilon
    }

    /// A norm with a given gain g [size]. Throws `TensorError.invalidShape` unless g is a
    /// non-empty vector, and `TransformerError.invalidConfiguration` for a negative or
    /// non-finite ε.
    public init(weight: Tensor, epsilon: Float = 1e-5) throws {
        guard weight.rank == 1, weight.count > 0 else {
            throw TensorError.invalidShape(operation: "RMSNorm", shape: weight.shape,
                                           reason: "the gain must be a non-empty vector [size]")
        }
        guard epsilon >= 0, epsilon.isFinite else {
            throw TransformerError.invalidConfiguration(
                field: "RMSNorm.epsilon", reason: "must be a finite number ≥ 0, not \(epsilon)")
        }
        self.weight = weight
        self.epsilon = epsilon
    }

    /// Normalises the last axis: [..., size] → [..., size]. Throws `TensorError.shapeMismatch`
    /// when the last axis is not `size`.
    ///
    /// The mean square is summed in Double (as ggml does), so a wide row of large activations
    /// loses nothing to rounding; the result is rounded to Float once per row.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 1, x.shape[x.rank - 1] == size else {
            throw TensorError.shapeMismatch(operation: "RMSNorm (the last axis must be the norm's size)",
                                            lhs: x.shape, rhs: weight.shape)
        }
        let d = size
        var y = x.scalars
        for start in stride(from: 0, to: x.count, by: d) {       // one token's vector at a time
            var sumOfSquares: Double = 0
            for j in start..<(start + d) { sumOfSquares += Double(x.scalars[j]) * Double(x.scalars[j]) }
            let meanSquare = sumOfSquares / Double(d)
            let inverseRMS = Float(1 / (meanSquare + Double(epsilon)).squareRoot())
            for j in start..<(start + d) { y[j] = x.scalars[j] * inverseRMS * weight.scalars[j - start] }
        }
        return try Tensor(shape: x.shape, scalars: y)             // (..., d)
    }

    /// "weight".
    public var parameters: [(name: String, tensor: Tensor)] {
        [("weight", weight)]
    }
}
