#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

/// The gated feed-forward network of Llama (Shazeer 2020, "GLU Variants Improve Transformer",
/// eq. 6, without biases):
///
///     FFN_SwiGLU(x) = (SiLU(x W_gate) ⊙ x W_up) W_down,      SiLU(z) = z · σ(z) = z / (1 + e^(−z))
///
/// Like `FeedForward` it works on every position separately, widening d_model to a hidden size
/// and back; the difference is the middle. Instead of one activation of one projection, two
/// projections are made: one passes through SiLU (the "Swish" of the name) and then scales the
/// other feature by feature (⊙), a gate that decides how much of each hidden feature goes on.
/// With three matrices instead of two, Llama narrows the hidden size to about 8/3·d_model to
/// keep the count of weights (SmolLM2: 1536 for d_model 576).
public struct SwiGLUFeedForward: Sendable {
    /// d_model → hidden, the gate's projection: W_gate [d, ff], no bias.
    public let gate: Linear
    /// d_model → hidden, the gated values: W_up [d, ff], no bias.
    public let up: Linear
    /// hidden → d_model: W_down [ff, d], no bias.
    public let down: Linear

    /// d_model: the width of the input and output vectors.
    public var modelDimension: Int { gate.inputSize }
    /// d_ff: the width of the gated hidden layer.
    public var hiddenDimension: Int { gate.outputSize }

    /// Given layers: `gate` and `up` must both map d → ff, and `down` ff → d.
    /// Throws `TensorError.shapeMismatch` naming the shapes that do not fit.
    public init(gate: Linear, up: Linear, down: Linear) throws {
        guard gate.weight.shape == up.weight.shape else {
            throw TensorError.shapeMismatch(operation: "SwiGLUFeedForward (gate and up must both be [d, ff])",
                                            lhs: gate.weight.shape, rhs: up.weight.shape)
        }
        guard down.inputSize == gate.outputSize, down.outputSize == gate.inputSize else {
            throw TensorError.shapeMismatch(operation: "SwiGLUFeedForward (gate is [d, ff], so down must be [ff, d])",
                                            lhs: gate.weight.shape, rhs: down.weight.shape)
        }
        self.gate = gate
        self.up = up
        self.down = down
    }

    /// Random layers without biases, drawn in the order gate, up, down (see `Linear`).
    public init(modelDimension: Int, hiddenDimension: Int, using generator: inout SeededGenerator) {
        gate = Linear(inputSize: modelDimension, outputSize: hiddenDimension, bias: false, using: &generator)
        up = Linear(inputSize: modelDimension, outputSize: hiddenDimension, bias: false, using: &generator)
        down = Linear(inputSize: hiddenDimension, outputSize: modelDimension, bias: false, using: &generator)
    }

    /// [..., d] → [..., d].
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let gated = try gate(x).silu() * up(x)    // (B, T, ff): SiLU(x W_gate) ⊙ x W_up
        return try down(gated)                    // (B, T, d)
    }

    /// "gate.weight", "up.weight", "down.weight" (and biases, if the layers have them).
    public var parameters: [(name: String, tensor: Tensor)] {
        prefixed("gate", gate.parameters) + prefixed("up", up.parameters) + prefixed("down", down.parameters)
    }
}

extension Tensor {
    /// SiLU, the sigmoid-weighted linear unit (Elfwing et al. 2018; "Swish" with β = 1 in
    /// Ramachandran et al. 2017), elementwise: z · σ(z) = z / (1 + e^(−z)). Like GELU a smooth
    /// ReLU: about z for large z, about 0 for very negative z, with a small dip below 0 between.
    public func silu() -> Tensor {
        map { $0 / (1 + exp(-$0)) }
    }
}
