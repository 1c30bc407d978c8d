import TensorCore

/// A fully connected layer: y = x W + b, applied to the last axis of x.
///
/// The weight is stored [inputSize, outputSize] so the forward pass is a plain `x.matmul(W)`
/// (PyTorch stores the transpose and computes x Wᵀ; the numbers are the same).
/// Works on one vector [in], one sequence [T, in], or a batch [B, T, in].
public struct Linear: Sendable {
    /// W [inputSize, outputSize].
    public let weight: Tensor
    /// b [outputSize], or nil for a layer without bias.
    public let bias: Tensor?

    /// The length of the input vectors (rows of `weight`).
    public var inputSize: Int { weight.shape[0] }
    /// The length of the output vectors (columns of `weight`).
    public var outputSize: Int { weight.shape[1] }

    /// A layer with the given weights. Throws `TensorError.invalidShape` unless the weight is a
    /// matrix and the bias (if any) has one entry per output.
    public init(weight: Tensor, bias: Tensor? = nil) throws {
        guard weight.rank == 2 else {
            throw TensorError.invalidShape(operation: "Linear", shape: weight.shape,
                                           reason: "the weight must be a matrix [inputSize, outputSize]")
        }
        if let bias, bias.shape != [weight.shape[1]] {
            throw TensorError.shapeMismatch(operation: "Linear (the bias needs one entry per output column)",
                                            lhs: weight.shape, rhs: bias.shape)
        }
        self.weight = weight
        self.bias = bias
    }

    /// A randomly initialised layer: W ~ N(0, 1/inputSize), so that for inputs of unit variance
    /// each output also has about unit variance (LeCun initialisation); b = 0, as in GPT-2 and
    /// BERT. Sizes must be positive (a programmer error otherwise: models validate their
    /// configuration before building layers).
    public init(inputSize: Int, outputSize: Int, bias: Bool = true, using generator: inout SeededGenerator) {
        precondition(inputSize > 0 && outputSize > 0,
                     "Linear: sizes must be positive, got \(inputSize) → \(outputSize)")
        let deviation = 1 / Float(inputSize).squareRoot()
        weight = .randomNormal([inputSize, outputSize], standardDeviation: deviation, using: &generator)
        self.bias = bias ? .zeros([outputSize]) : nil
    }

    /// x W + b: [..., inputSize] → [..., outputSize]. Throws `TensorError.shapeMismatch` when
    /// the last axis of x is not `inputSize`.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        if x.rank == 1 {
            // A single vector: treat it as one row, then drop that axis again.
            return try callAsFunction(x.reshaped([1, x.shape[0]])).reshaped([outputSize])
        }
        let product = try x.matmul(weight)      // (..., out)
        guard let bias else { return product }
        return try product + bias               // bias (out) broadcasts over every row
    }

    /// The weight and (if present) the bias, named "weight" and "bias".
    public var parameters: [(name: String, tensor: Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }
}
