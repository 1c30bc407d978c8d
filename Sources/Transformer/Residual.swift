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
extension NormPlacement {
    /// What the sublayer reads: LN(x) for pre-norm, x itself for post-norm.
    func sublayerInput(_ x: Tensor, norm: LayerNorm) throws -> Tensor {
        switch self {
        case .pre: return try norm(x)     // (B, T, d)
        case .post: return x
        }
    }

    /// The residual sum x + sublayerOutput, normalised afterwards for post-norm.
    func residual(_ x: Tensor, _ sublayerOutput: Tensor, norm: LayerNorm) throws -> Tensor {
        switch self {
        case .pre: return try x + sublayerOutput           // (B, T, d)
        case .post: return try norm(x + sublayerOutput)    // (B, T, d)
        }
    }
}
