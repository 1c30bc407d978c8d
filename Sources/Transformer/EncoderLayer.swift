import TensorCore

/// What one encoder layer produced.
public struct EncoderLayerOutput: Sendable {
    /// The layer's output, same shape as its input: [..., T, d].
    public let output: Tensor
    /// The self-attention call, with its per-head weights [..., h, T, T].
    public let attention: MultiHeadOutput
}

/// One encoder layer (Vaswani et al. 2017, §3.1): self-attention, then the feed-forward
/// network, each inside a residual connection with a layer norm.
///
///     post-norm:  x = LN₁(x + SelfAttention(x));   x = LN₂(x + FFN(x))
///     pre-norm:   x = x + SelfAttention(LN₁(x));   x = x + FFN(LN₂(x))
///
/// Every token may attend to every other (bidirectional); only padding is hidden. BERT is a
/// stack of these.
public struct EncoderLayer: Sendable {
    /// Bidirectional self-attention.
    public let attention: MultiHeadAttention
    /// The layer norm around self-attention (before it in pre-norm, after the residual sum in
    /// post-norm).
    public let attentionNorm: LayerNorm
    /// The position-wise feed-forward network.
    public let feedForward: FeedForward
    /// The layer norm around the feed-forward network.
    public let feedForwardNorm: LayerNorm
    /// Whether each norm comes before its sublayer (pre) or after the residual sum (post).
    public let normPlacement: NormPlacement

    /// Random weights, drawn in the order attention, feed-forward.
    /// Throws `TransformerError.invalidConfiguration` for non-positive sizes or when heads does
    /// not divide modelDimension.
    public init(modelDimension: Int, heads: Int, feedForwardDimension: Int,
                activation: Activation = .gelu, normPlacement: NormPlacement = .pre,
                using generator: inout SeededGenerator) throws {
        guard feedForwardDimension > 0 else {
            throw TransformerError.invalidConfiguration(
                field: "feedForwardDimension", reason: "must be positive, not \(feedForwardDimension)")
        }
        attention = try MultiHeadAttention(modelDimension: modelDimension, heads: heads, using: &generator)
        attentionNorm = LayerNorm(size: modelDimension)
        feedForward = FeedForward(modelDimension: modelDimension, hiddenDimension: feedForwardDimension,
                                  activation: activation, using: &generator)
        feedForwardNorm = LayerNorm(size: modelDimension)
        self.normPlacement = normPlacement
    }

    /// Given parts (e.g. loaded weights).
    public init(attention: MultiHeadAttention, attentionNorm: LayerNorm, feedForward: FeedForward,
                feedForwardNorm: LayerNorm, normPlacement: NormPlacement) {
        self.attention = attention
        self.attentionNorm = attentionNorm
        self.feedForward = feedForward
        self.feedForwardNorm = feedForwardNorm
        self.normPlacement = normPlacement
    }

    /// x [T, d] or [B, T, d] → the same shape. `mask` (1 = hidden) is usually a padding mask
    /// [B, 1, 1, T]; see `MultiHeadAttention` for the shapes it accepts.
    public func callAsFunction(_ x: Tensor, mask: Tensor? = nil) throws -> EncoderLayerOutput {
        let attended = try attention(normPlacement.sublayerInput(x, norm: attentionNorm),
                                     mask: mask)                          // (B, T, d), weights (B, h, T, T)
        let h = try normPlacement.residual(x, attended.output, norm: attentionNorm)          // (B, T, d)
        let transformed = try feedForward(normPlacement.sublayerInput(h, norm: feedForwardNorm))   // (B, T, d)
        let output = try normPlacement.residual(h, transformed, norm: feedForwardNorm)       // (B, T, d)
        return EncoderLayerOutput(output: output, attention: attended)
    }

    /// The layer's output alone for one unpadded sequence x [T, d]: attention through
    /// `MultiHeadAttention.selfAttentionOutput` (no weights kept, memory linear in T). Equal to
    /// `callAsFunction(x).output` up to float rounding.
    public func output(_ x: Tensor) throws -> Tensor {
        let attended = try attention.selfAttentionOutput(normPlacement.sublayerInput(x, norm: attentionNorm))
        let h = try normPlacement.residual(x, attended, norm: attentionNorm)
        let transformed = try feedForward(normPlacement.sublayerInput(h, norm: feedForwardNorm))
        return try normPlacement.residual(h, transformed, norm: feedForwardNorm)
    }

    /// "attention.…", "attentionNorm.…", "feedForward.…", "feedForwardNorm.…".
    public var parameters: [(name: String, tensor: Tensor)] {
        prefixed("attention", attention.parameters) + prefixed("attentionNorm", attentionNorm.parameters)
            + prefixed("feedForward", feedForward.parameters)
            + prefixed("feedForwardNorm", feedForwardNorm.parameters)
    }
}
