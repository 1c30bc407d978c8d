import TensorCore

/// Layer normalisation with its learned scale and shift (Ba, Kiros & Hinton 2016):
/// each token's vector is shifted to mean 0 and scaled to variance 1, then multiplied by
/// gamma and shifted by beta, feature by feature. It keeps the activations of deep stacks at a
/// steady size; Vaswani et al. 2017 put one after every sublayer (§3.1), GPT-2 before.
public struct LayerNorm: Sendable {
    /// γ [size], initially ones.
    public let gamma: Tensor
    /// β [size], initially zeros.
    public let beta: Tensor
    /// Added to the variance before the square root so a constant row does not divide by zero.
    public let epsilon: Float

    /// The number of features normalised (the last axis of the input).
    public var size: Int { gamma.shape[0] }

    /// The initial layer norm: γ = 1, β = 0, so it only normalises. `size` must be positive.
    public init(size: Int, epsilon: Float = 1e-5) {
        precondition(size > 0, "LayerNorm: size must be positive, got \(size)")
        gamma = .ones([size])
        beta = .zeros([size])
        self.epsilon = epsilon
    }

    /// Same as `init(size:epsilon:)`, for symmetry with the other layers' initialisers:
    /// a layer norm starts without randomness, so the generator is not used.
    public init(size: Int, epsilon: Float = 1e-5, using generator: inout SeededGenerator) {
        self.init(size: size, epsilon: epsilon)
    }

    /// A layer norm with given γ and β (both [size]).
    public init(gamma: Tensor, beta: Tensor, epsilon: Float = 1e-5) throws {
        guard gamma.rank == 1, gamma.shape == beta.shape else {
            throw TensorError.shapeMismatch(operation: "LayerNorm (gamma and beta must both be [size])",
                                            lhs: gamma.shape, rhs: beta.shape)
        }
        self.gamma = gamma
        self.beta = beta
        self.epsilon = epsilon
    }

    /// Normalises the last axis: [..., size] → [..., size].
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try x.layerNorm(gamma: gamma, beta: beta, epsilon: epsilon)
    }

    /// "gamma" and "beta".
    public var parameters: [(name: String, tensor: Tensor)] {
        [("gamma", gamma), ("beta", beta)]
    }
}
