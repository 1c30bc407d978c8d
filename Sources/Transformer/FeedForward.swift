import TensorCore

/// The non-linearity between the two layers of the feed-forward network.
public enum Activation: String, Sendable, Codable, CaseIterable {
    /// max(0, x), as in the original Transformer.
    case relu
    /// x · Φ(x), as in BERT and GPT.
    case gelu

    /// The activation applied to every element of `x`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .relu: return x.relu()
        case .gelu: return x.gelu()
        }
    }
}

/// The position-wise feed-forward network (Vaswani et al. 2017, §3.3):
///
///     FFN(x) = act(x W_1 + b_1) W_2 + b_2
///
/// applied to every position separately and identically. Attention moves information between
/// tokens; this is where each token's vector is transformed on its own. The hidden layer is
/// wider (4·d_model in most models: 2048 for d_model 512 in the paper).
public struct FeedForward: Sendable {
    /// d_model → hidden: W_1 [d, ff], b_1 [ff].
    public let expand: Linear
    /// hidden → d_model: W_2 [ff, d], b_2 [d].
    public let contract: Linear
    /// The non-linearity between `expand` and `contract`.
    public let activation: Activation

    /// d_model: the width of the input and output vectors.
    public var modelDimension: Int { expand.inputSize }
    /// d_ff: the width of the hidden layer.
    public var hiddenDimension: Int { expand.outputSize }

    /// Random weights for both layers, drawn from `generator` (expand first).
    public init(modelDimension: Int, hiddenDimension: Int, activation: Activation = .gelu,
                using generator: inout SeededGenerator) {
        expand = Linear(inputSize: modelDimension, outputSize: hiddenDimension, using: &generator)
        contract = Linear(inputSize: hiddenDimension, outputSize: modelDimension, using: &generator)
        self.activation = activation
    }

    /// Given layers; `expand` must map d → ff and `contract` ff → d.
    public init(expand: Linear, contract: Linear, activation: Activation) throws {
        guard expand.outputSize == contract.inputSize, contract.outputSize == expand.inputSize else {
            throw TensorError.shapeMismatch(operation: "FeedForward (expand must be [d, ff] and contract [ff, d])",
                                            lhs: expand.weight.shape, rhs: contract.weight.shape)
        }
        self.expand = expand
        self.contract = contract
        self.activation = activation
    }

    /// [..., d] → [..., d].
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let hidden = activation(try expand(x))   // (B, T, ff)
        return try contract(hidden)              // (B, T, d)
    }

    /// "expand.weight", "expand.bias", "contract.weight", "contract.bias".
    public var parameters: [(name: String, tensor: Tensor)] {
        prefixed("expand", expand.parameters) + prefixed("contract", contract.parameters)
    }
}
