import TensorCore

/// What one decoder layer produced.
public struct DecoderLayerOutput: Sendable {
    /// The layer's output, same shape as its input: [..., T_target, d].
    public let output: Tensor
    /// The masked self-attention call; weights [..., h, T_target, T_target].
    public let selfAttention: MultiHeadOutput
    /// The cross-attention call over the encoder output; weights [..., h, T_target, T_source].
    /// Nil for a layer without cross-attention (decoder-only models).
    public let crossAttention: MultiHeadOutput?
}

/// One decoder layer (Vaswani et al. 2017, §3.1): masked self-attention over the target so
/// far, then cross-attention from the target to the encoder's output ("memory"), then the
/// feed-forward network, each inside a residual connection with a layer norm.
///
///     post-norm:  x = LN₁(x + SelfAttention(x, causal));  x = LN₂(x + CrossAttention(x, memory));
///                 x = LN₃(x + FFN(x))
///     pre-norm:   x = x + SelfAttention(LN₁(x), causal);  x = x + CrossAttention(LN₂(x), memory);
///                 x = x + FFN(LN₃(x))
///
/// In cross-attention the queries come from the decoder and the keys and values from the
/// encoder, so each target position can look at the whole source. A decoder-only model (GPT)
/// has no encoder, so its layers are built without cross-attention (`crossAttention: false`).
public struct DecoderLayer: Sendable {
    /// Masked (causal) self-attention over the target.
    public let selfAttention: MultiHeadAttention
    /// The layer norm around self-attention (before it in pre-norm, after the residual sum in
    /// post-norm).
    public let selfAttentionNorm: LayerNorm
    /// Nil in decoder-only models.
    public let crossAttention: MultiHeadAttention?
    /// The layer norm around cross-attention; nil exactly when `crossAttention` is.
    public let crossAttentionNorm: LayerNorm?
    /// The position-wise feed-forward network.
    public let feedForward: FeedForward
    /// The layer norm around the feed-forward network.
    public let feedForwardNorm: LayerNorm
    /// Whether each norm comes before its sublayer (pre) or after the residual sum (post).
    public let normPlacement: NormPlacement

    /// Random weights, drawn in the order self-attention, cross-attention (if any), feed-forward.
    /// Throws `TransformerError.invalidConfiguration` for non-positive sizes or when heads does
    /// not divide modelDimension.
    public init(modelDimension: Int, heads: Int, feedForwardDimension: Int,
                activation: Activation = .gelu, normPlacement: NormPlacement = .pre,
                crossAttention: Bool = true, using generator: inout SeededGenerator) throws {
        guard feedForwardDimension > 0 else {
            throw TransformerError.invalidConfiguration(
                field: "feedForwardDimension", reason: "must be positive, not \(feedForwardDimension)")
        }
        selfAttention = try MultiHeadAttention(modelDimension: modelDimension, heads: heads, using: &generator)
        selfAttentionNorm = LayerNorm(size: modelDimension)
        if crossAttention {
            self.crossAttention = try MultiHeadAttention(modelDimension: modelDimension, heads: heads,
                                                         using: &generator)
            crossAttentionNorm = LayerNorm(size: modelDimension)
        } else {
            self.crossAttention = nil
            crossAttentionNorm = nil
        }
        feedForward = FeedForward(modelDimension: modelDimension, hiddenDimension: feedForwardDimension,
                                  activation: activation, using: &generator)
        feedForwardNorm = LayerNorm(size: modelDimension)
        self.normPlacement = normPlacement
    }

    /// Given parts (e.g. loaded weights). `crossAttention` and `crossAttentionNorm` must both be
    /// present or both nil.
    public init(selfAttention: MultiHeadAttention, selfAttentionNorm: LayerNorm,
                crossAttention: MultiHeadAttention?, crossAttentionNorm: LayerNorm?,
                feedForward: FeedForward, feedForwardNorm: LayerNorm, normPlacement: NormPlacement) throws {
        guard (crossAttention == nil) == (crossAttentionNorm == nil) else {
            throw TransformerError.invalidConfiguration(
                field: "DecoderLayer.crossAttention",
                reason: "cross-attention and its layer norm must both be given or both be nil")
        }
        self.selfAttention = selfAttention
        self.selfAttentionNorm = selfAttentionNorm
        self.crossAttention = crossAttention
        self.crossAttentionNorm = crossAttentionNorm
        self.feedForward = feedForward
        self.feedForwardNorm = feedForwardNorm
        self.normPlacement = normPlacement
    }

    /// x [T, d] or [B, T, d] → the same shape.
    ///
    /// - Parameters:
    ///   - x: the target's states, [T, d] or [B, T, d].
    ///   - memory: the encoder output [T_source, d] or [B, T_source, d]; required when the layer
    ///     has cross-attention, and must be nil when it has none.
    ///   - selfMask: usually the causal mask [T, T], combined with the target's padding mask
    ///     ([B, 1, T, T]); 1 = hidden.
    ///   - memoryMask: usually the source's padding mask [B, 1, 1, T_source].
    public func callAsFunction(_ x: Tensor, memory: Tensor? = nil, selfMask: Tensor? = nil,
                               memoryMask: Tensor? = nil) throws -> DecoderLayerOutput {
        // 1. Masked self-attention: each target position sees itself and the positions before it.
        let selfResult = try selfAttention(normPlacement.sublayerInput(x, norm: selfAttentionNorm),
                                           mask: selfMask)                  // (B, T, d), weights (B, h, T, T)
        var h = try normPlacement.residual(x, selfResult.output, norm: selfAttentionNorm)   // (B, T, d)

        // 2. Cross-attention: queries from the decoder, keys and values from the encoder.
        var crossResult: MultiHeadOutput?
        switch (crossAttention, crossAttentionNorm, memory) {
        case let (cross?, norm?, memory?):
            let result = try cross(query: normPlacement.sublayerInput(h, norm: norm), keyValue: memory,
                                   mask: memoryMask)                        // (B, T, d), weights (B, h, T, S)
            h = try normPlacement.residual(h, result.output, norm: norm)    // (B, T, d)
            crossResult = result
        case (_?, _, nil):
            throw TransformerError.invalidInput(
                operation: "DecoderLayer",
                reason: "this layer has cross-attention, so it needs the encoder output (memory)")
        case (nil, _, _?):
            throw TransformerError.invalidInput(
                operation: "DecoderLayer",
                reason: "this layer has no cross-attention, so it cannot use an encoder output (memory)")
        default:
            break
        }

        // 3. The position-wise feed-forward network.
        let transformed = try feedForward(normPlacement.sublayerInput(h, norm: feedForwardNorm))   // (B, T, d)
        let output = try normPlacement.residual(h, transformed, norm: feedForwardNorm)            // (B, T, d)
        return DecoderLayerOutput(output: output, selfAttention: selfResult, crossAttention: crossResult)
    }

    /// "selfAttention.…", "selfAttentionNorm.…", "crossAttention.…", "crossAttentionNorm.…"
    /// (only with cross-attention), "feedForward.…", "feedForwardNorm.…".
    public var parameters: [(name: String, tensor: Tensor)] {
        var list = prefixed("selfAttention", selfAttention.parameters)
            + prefixed("selfAttentionNorm", selfAttentionNorm.parameters)
        if let crossAttention, let crossAttentionNorm {
            list += prefixed("crossAttention", crossAttention.parameters)
                + prefixed("crossAttentionNorm", crossAttentionNorm.parameters)
        }
        return list + prefixed("feedForward", feedForward.parameters)
            + prefixed("feedForwardNorm", feedForwardNorm.parameters)
    }
}
