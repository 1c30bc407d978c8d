import TensorCore

/// A Llama-family decoder (Touvron et al. 2023) composed of this module's layers, the model that
/// lessons 2–8 built with three later pieces swapped in: SmolLM2-135M is one (loaded by ModelIO's
/// `LlamaReferenceModel.load(from:)`), and `LlamaModel` in ModelIO is the fast path that computes
/// the same numbers with pointers and a KV cache. This one is meant to be read:
///
///     x = E[ids]                                   (T, d)   no √d scaling, no position vector
///     for each layer:  x = LlamaDecoderLayer(x)    (T, d)   RMSNorm, GQA with RoPE, SwiGLU
///     logits = RMSNorm(x) · Eᵀ                     (T, V)   tied: the token table is the output
///
/// Compared with `DecoderOnlyModel` (GPT-2 style): positions enter inside attention as rotations
/// (`RotaryPositionEmbedding`), not as vectors added at the bottom; the norms are `RMSNorm`; the
/// feed-forward network is gated (`SwiGLUFeedForward`); key/value heads are shared by groups
/// of query heads (`MultiHeadAttention` with `keyValueHeads` < `heads`).
public struct LlamaReferenceModel: Sendable {
    /// "decoder-only": the `architecture` of the traces this model records.
    public static let architecture = "decoder-only"

    /// E [vocabularySize, d]; also the output matrix (Eᵀ) when `outputProjection` is nil.
    public let tokenEmbedding: Embedding
    /// The decoder layers in order; `layers[0]` is layer 0.
    public let layers: [LlamaDecoderLayer]
    /// The norm before the output projection.
    public let finalNorm: RMSNorm
    /// W_out [d, vocabularySize]; nil when the output is tied to `tokenEmbedding` (SmolLM2).
    public let outputProjection: Linear?

    /// Rows of the token table: ids run from 0 to vocabularySize − 1.
    public var vocabularySize: Int { tokenEmbedding.vocabularySize }
    /// d_model: the width of the residual stream.
    public var modelDimension: Int { tokenEmbedding.dimension }

    /// Given parts. Throws `TransformerError.invalidConfiguration` when there are no layers or a
    /// part's width is not the token table's d.
    public init(tokenEmbedding: Embedding, layers: [LlamaDecoderLayer], finalNorm: RMSNorm,
                outputProjection: Linear?) throws {
        let d = tokenEmbedding.dimension
        guard !layers.isEmpty else {
            throw TransformerError.invalidConfiguration(field: "LlamaReferenceModel.layers", reason: "needs at least one layer")
        }
        if let index = layers.firstIndex(where: { $0.attention.modelDimension != d }) {
            throw TransformerError.invalidConfiguration(
                field: "LlamaReferenceModel.layers.\(index)",
                reason: "works on \(layers[index].attention.modelDimension) features, but the token table has \(d)")
        }
        guard finalNorm.size == d else {
            throw TransformerError.invalidConfiguration(
                field: "LlamaReferenceModel.finalNorm", reason: "works on \(finalNorm.size) features, not \(d)")
        }
        if let outputProjection, outputProjection.inputSize != d || outputProjection.outputSize != tokenEmbedding.vocabularySize {
            throw TransformerError.invalidConfiguration(
                field: "LlamaReferenceModel.outputProjection",
                reason: "must be [\(d), \(tokenEmbedding.vocabularySize)], not \(outputProjection.weight.shape)")
        }
        self.tokenEmbedding = tokenEmbedding
        self.layers = layers
        self.finalNorm = finalNorm
        self.outputProjection = outputProjection
    }

    /// One sequence under the causal mask: logits [T, vocab] (row t scores token t + 1) and, when
    /// asked, the attention trace (architecture "decoder-only", causal self-attention, layers ×
    /// query heads). `tokens` label the trace (default: the ids as text). Throws
    /// `TransformerError` for an empty sequence, an id outside the vocabulary or a wrong label count.
    /// `recordQueriesKeys` adds every head's queries and keys (after RoPE) to the trace.
    public func forward(_ tokenIDs: [Int], tokens: [String]? = nil, recordTrace: Bool = false,
                        recordQueriesKeys: Bool = false) throws -> DecoderOnlyOutput {
        let input = try ModelInput.single(tokenIDs, labels: tokens, operation: "LlamaReferenceModel.forward")
        let mask = causalMask(size: tokenIDs.count)                    // (T, T)
        var x = try tokenEmbedding.lookup(tokenIDs)                    // (T, d)
        var outputs: [DecoderLayerOutput] = []
        var trace: AttentionTrace? = recordTrace || recordQueriesKeys
            ? AttentionTrace(architecture: Self.architecture) : nil
        for (index, layer) in layers.enumerated() {
            let result = try layer(x, mask: mask)                      // (T, d), weights (h, T, T)
            try trace?.record(result.selfAttention, layer: index, kind: .decoderSelf, queryTokens: input.labels,
                              keyTokens: input.labels, mask: nil, queriesKeys: recordQueriesKeys)
            outputs.append(result)
            x = result.output
        }
        let final = try finalNorm(x)                                   // (T, d)
        let logits = try outputProjection.map { try $0(final) }        // (T, d) x (d, V) -> (T, V)
            ?? final.matmulTransposed(tokenEmbedding.weight)           // (T, d) x (V, d)ᵀ -> (T, V)
        return DecoderOnlyOutput(logits: logits, hiddenStates: final, mask: mask, layers: outputs, trace: trace)
    }

    /// "tokenEmbedding.weight", "layers.0.attentionNorm.weight", …, "finalNorm.weight",
    /// "outputProjection.weight" (untied only).
    public var parameters: [(name: String, tensor: Tensor)] {
        var list = prefixed("tokenEmbedding", tokenEmbedding.parameters)
        for (index, layer) in layers.enumerated() { list += prefixed("layers.\(index)", layer.parameters) }
        return list + prefixed("finalNorm", finalNorm.parameters)
            + (outputProjection.map { prefixed("outputProjection", $0.parameters) } ?? [])
    }
}
