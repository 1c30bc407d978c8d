import TensorCore

/// One decoder layer of Llama (Touvron et al. 2023, "LLaMA: Open and Efficient Foundation
/// Language Models", §2.2), the layer SmolLM2 stacks 30 times. It is `DecoderLayer` in its
/// pre-norm, decoder-only form with three pieces swapped for later ones:
///
///     h = x + Attention(RMSNorm₁(x), causal)        RMSNorm for LayerNorm; grouped-query
///                                                   attention with RoPE on q and k
///     y = h + SwiGLU(RMSNorm₂(h))                   a gated feed-forward for GELU's
///
/// There is no position table at the bottom of the model: each layer's attention rotates its
/// queries and keys by their positions instead (`RotaryPositionEmbedding`). No projection has a
/// bias.
public struct LlamaDecoderLayer: Sendable {
    /// The RMSNorm applied before attention.
    public let attentionNorm: RMSNorm
    /// Causal self-attention, usually with fewer key/value heads than query heads and `rotary` set.
    public let attention: MultiHeadAttention
    /// The RMSNorm applied before the feed-forward network.
    public let feedForwardNorm: RMSNorm
    /// The gated (SwiGLU) feed-forward network.
    public let feedForward: SwiGLUFeedForward

    /// Given parts; both norms, the attention and the feed-forward must share d_model.
    /// Throws `TransformerError.invalidConfiguration` naming the part that does not fit.
    public init(attentionNorm: RMSNorm, attention: MultiHeadAttention, feedForwardNorm: RMSNorm,
                feedForward: SwiGLUFeedForward) throws {
        let d = attention.modelDimension
        for (name, size) in [("attentionNorm", attentionNorm.size), ("feedForwardNorm", feedForwardNorm.size),
                             ("feedForward", feedForward.modelDimension)] where size != d {
            throw TransformerError.invalidConfiguration(
                field: "LlamaDecoderLayer.\(name)", reason: "works on \(size) features, but the attention on \(d)")
        }
        self.attentionNorm = attentionNorm
        self.attention = attention
        self.feedForwardNorm = feedForwardNorm
        self.feedForward = feedForward
    }

    /// x [T, d] or [B, T, d] → the same shape. `mask` is usually the causal mask [T, T] (1 = hidden).
    /// The result's `crossAttention` is nil: a Llama layer has none.
    public func callAsFunction(_ x: Tensor, mask: Tensor? = nil) throws -> DecoderLayerOutput {
        let attended = try attention(attentionNorm(x), mask: mask)   // (B, T, d), weights (B, h, T, T)
        let h = try x + attended.output                              // (B, T, d): the residual stream
        let transformed = try feedForward(feedForwardNorm(h))        // (B, T, d)
        let output = try h + transformed                             // (B, T, d)
        return DecoderLayerOutput(output: output, selfAttention: attended, crossAttention: nil)
    }

    /// "attentionNorm.weight", "attention.…", "feedForwardNorm.weight", "feedForward.…".
    public var parameters: [(name: String, tensor: Tensor)] {
        prefixed("attentionNorm", attentionNorm.parameters) + prefixed("attention", attention.parameters)
            + prefixed("feedForwardNorm", feedForwardNorm.parameters)
            + prefixed("feedForward", feedForward.parameters)
    }
}
