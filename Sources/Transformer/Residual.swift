import TensorCore

/// Where the layer norm sits relative to each sublayer's residual connection.
public enum NormPlacement: String, Sendable, Codable, CaseIterable {
    /// x = x + Sublayer(LN(x)), as in GPT-2 (Radford et al. 2019, §2.3) and most models since:
    /// the residual path carries x through the whole stack untouched, which makes deep stacks
    /// train without a learning-rate warm-up. Needs one final LayerNorm after the last layer.
    case pre
    /// x = LN(x + Sublayer(x)), as in the original Transformer (Vaswani et al. 2017, §3.1) and BERT.
    case post
}

// One sublayer (attention or feed-forward) wrapped in its residual connection and layer norm
// (He et al. 2016 for the residual, Ba et al. 2016 for the norm):
//
//     post-norm: LN(x + Sublayer(x))
//     pre-norm:  x + Sublayer(LN(x))
//
// The residual lets every layer add a correction to x instead of replacing it. The two halves
// are separate functions so a layer can keep what its sublayer returned (the attention weights):
//
//     let attention = try self.attention(normPlacement.sublayerInput(x, norm: n), mask: mask)
//     let x = try normPlacement.residual(x, attention.output, norm: n)
//
// This wiring is written once for the inference layers (on `Tensor`) and their trainable twins in
// module Training (on `Variable`): both values are a `ResidualStream`, both norms a `ResidualNorm`.

/// What flows along the residual stream: `Tensor` here, `Variable` in the trainable twins.
public protocol ResidualStream {
    /// self + other, element by element (same shapes, or broadcasting as `+` does).
    func adding(_ other: Self) throws -> Self
}

/// A normalisation that a residual connection can place before or after its sublayer
/// (`LayerNorm` here, `TrainableLayerNorm` in module Training).
public protocol ResidualNorm {
    associatedtype Stream: ResidualStream
    func callAsFunction(_ x: Stream) throws -> Stream
}

extension Tensor: ResidualStream {
    /// `self + other` with broadcasting; throws `TensorError.shapeMismatch` when the shapes do not
    /// fit.
    public func adding(_ other: Tensor) throws -> Tensor { try self + other }
}

extension Variable: ResidualStream {
    /// `self + other` with broadcasting, recorded for backpropagation; throws
    /// `TensorError.shapeMismatch` when the shapes do not fit.
    public func adding(_ other: Variable) throws -> Variable { try self + other }
}

extension LayerNorm: ResidualNorm {}

extension NormPlacement {
    /// What the sublayer reads: LN(x) for pre-norm, x itself for post-norm.
    public func sublayerInput<Norm: ResidualNorm>(_ x: Norm.Stream, norm: Norm) throws -> Norm.Stream {
        switch self {
        case .pre: return try norm(x)     // (B, T, d)
        case .post: return x
        }
    }

    /// The residual sum x + sublayerOutput, normalised afterwards for post-norm.
    public func residual<Norm: ResidualNorm>(_ x: Norm.Stream, _ sublayerOutput: Norm.Stream,
                                             norm: Norm) throws -> Norm.Stream {
        switch self {
        case .pre: return try x.adding(sublayerOutput)           // (B, T, d)
        case .post: return try norm(x.adding(sublayerOutput))    // (B, T, d)
        }
    }
}
