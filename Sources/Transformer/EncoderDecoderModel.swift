import TensorCore

/// What an encoder-decoder model produced.
public struct EncoderDecoderOutput: Sendable {
    /// Scores for the next target token after each target position: [T_target, vocab] or
    /// [B, T_target, vocab].
    public let logits: Tensor
    /// The encoder's output ("memory"), which every decoder layer attends to: [T_source, d] or
    /// [B, T_source, d].
    public let encoderStates: Tensor
    /// The decoder's final hidden states: [T_target, d] or [B, T_target, d].
    public let decoderStates: Tensor
    /// Every encoder layer's output and attention, first layer (layer 0) first.
    public let encoderLayers: [EncoderLayerOutput]
    /// Every decoder layer's output, self-attention and cross-attention, first layer (layer 0)
    /// first.
    public let decoderLayers: [DecoderLayerOutput]
    /// Every head's weights with token labels, when `recordTrace` was true.
    public let trace: AttentionTrace?
}

/// The original Transformer (Vaswani et al. 2017; T5 has the same shape): an encoder reads the
/// whole source with bidirectional self-attention; a decoder reads the target so far with
/// causal self-attention and, in every layer, attends to the encoder's output through
/// cross-attention. Trained on translation, the target fed in is the translation shifted right
/// (it starts with a begin token), and the logits at position t predict target token t.
///
/// One vocabulary serves source and target, so one token table is shared by the encoder, the
/// decoder and (when tied) the output projection, as in the paper (§3.4). A learned position
/// table is shared by both stacks too.
public struct EncoderDecoderModel: Sendable {
    /// "encoder-decoder": the `architecture` of the traces this model records.
    public static let architecture = "encoder-decoder"

    /// The sizes and choices the model was built with.
    public let configuration: TransformerConfiguration
    /// E [vocabularySize, d], shared by encoder, decoder and a tied output.
    public let tokenEmbedding: Embedding
    /// The learned position table [maxLength, d]; nil with sinusoidal positions.
    public let positionEmbedding: LearnedPositionalEncoding?
    /// The encoder layers (bidirectional self-attention) and, for pre-norm, the final norm.
    public let encoder: EncoderStack
    /// Layers with cross-attention.
    public let decoder: DecoderStack
    /// W_out [d, vocabularySize] without bias; nil when the output is tied to `tokenEmbedding`.
    public let outputProjection: Linear?

    /// Random weights from `seed`, drawn in the order token table, position table, encoder
    /// layers, decoder layers, output projection. Throws `TransformerError.invalidConfiguration`
    /// when the configuration does not validate.
    public init(configuration: TransformerConfiguration, seed: UInt64) throws {
        try configuration.validate()
        var generator = SeededGenerator(seed: seed)
        let c = configuration
        self.configuration = c
        tokenEmbedding = Embedding(vocabularySize: c.vocabularySize, dimension: c.modelDimension, using: &generator)
        positionEmbedding = c.positions == .learned
            ? LearnedPositionalEncoding(maxLength: c.maxLength, dimension: c.modelDimension, using: &generator)
            : nil
        encoder = try EncoderStack(configuration: c, using: &generator)
        decoder = try DecoderStack(configuration: c, crossAttention: true, using: &generator)
        outputProjection = c.tiedOutput
            ? nil
            : Linear(inputSize: c.modelDimension, outputSize: c.vocabularySize, bias: false, using: &generator)
    }

    /// One source and one target sequence (the lengths may differ): logits [T_target, vocab].
    /// `sourceTokens` and `targetTokens` are labels for the trace (default: the ids as text);
    /// `recordQueriesKeys` adds every head's queries and keys to it (the neuron view).
    public func forward(source: [Int], target: [Int], sourceTokens: [String]? = nil,
                        targetTokens: [String]? = nil, recordTrace: Bool = false,
                        recordQueriesKeys: Bool = false) throws -> EncoderDecoderOutput {
        let operation = "EncoderDecoderModel.forward"
        let sourceInput = try ModelInput.single(source, labels: sourceTokens, operation: operation + " (source)")
        let targetInput = try ModelInput.single(target, labels: targetTokens, operation: operation + " (target)")
        return try run(source: sourceInput, target: targetInput, recordTrace: recordTrace || recordQueriesKeys,
                       queriesKeys: recordQueriesKeys)
    }

    /// A batch of source and target sequences (the same number of each), each side padded with
    /// `padID` to its longest sequence. The source padding mask hides pad keys in encoder
    /// self-attention and in cross-attention; the target padding mask joins the causal mask.
    /// Logits [B, T_target, vocab]. The labels belong to sequence 0, the one the trace records.
    public func forward(sourceBatch: [[Int]], targetBatch: [[Int]], padID: Int, sourceTokens: [String]? = nil,
                        targetTokens: [String]? = nil, recordTrace: Bool = false,
                        recordQueriesKeys: Bool = false) throws -> EncoderDecoderOutput {
        let operation = "EncoderDecoderModel.forward(sourceBatch:targetBatch:)"
        guard sourceBatch.count == targetBatch.count else {
            throw TransformerError.invalidInput(
                operation: operation,
                reason: "\(sourceBatch.count) source sequences but \(targetBatch.count) target sequences")
        }
        let v = configuration.vocabularySize
        let sourceInput = try ModelInput.batch(sourceBatch, padID: padID, labels: sourceTokens,
                                               vocabularySize: v, operation: operation + " (source)")
        let targetInput = try ModelInput.batch(targetBatch, padID: padID, labels: targetTokens,
                                               vocabularySize: v, operation: operation + " (target)")
        return try run(source: sourceInput, target: targetInput, recordTrace: recordTrace || recordQueriesKeys,
                       queriesKeys: recordQueriesKeys)
    }

    private func run(source: ModelInput, target: ModelInput, recordTrace: Bool,
                     queriesKeys: Bool) throws -> EncoderDecoderOutput {
        // Encoder: the whole source, bidirectionally; only source padding is hidden.
        let s = try source.embedded(tokens: tokenEmbedding, positions: positionEmbedding)   // (B, S, d)
        let encoded = try encoder(s, mask: source.paddingMask)                              // (B, S, d)

        // Decoder: causal over the target, cross-attention over the encoder output.
        let t = try target.embedded(tokens: tokenEmbedding, positions: positionEmbedding)   // (B, T, d)
        var selfMask = causalMask(size: target.length)                                      // (T, T)
        if let padding = target.paddingMask {
            selfMask = try combineMasks(selfMask, padding)                                  // (B, 1, T, T)
        }
        let decoded = try decoder(t, memory: encoded.output, selfMask: selfMask,
                                  memoryMask: source.paddingMask)                           // (B, T, d)
        let logits = try outputLogits(decoded.output, tokens: tokenEmbedding,
                                      projection: outputProjection)                         // (B, T, V)

        var trace: AttentionTrace?
        if recordTrace {
            var record = AttentionTrace(architecture: Self.architecture)
            for (index, layer) in encoded.layers.enumerated() {
                try record.record(layer.attention, layer: index, kind: .encoderSelf, queryTokens: source.labels,
                                  keyTokens: source.labels, mask: source.paddingMask, queriesKeys: queriesKeys)
            }
            for (index, layer) in decoded.layers.enumerated() {
                try record.record(layer.selfAttention, layer: index, kind: .decoderSelf, queryTokens: target.labels,
                                  keyTokens: target.labels, mask: selfMask, queriesKeys: queriesKeys)
                if let cross = layer.crossAttention {
                    try record.record(cross, layer: index, kind: .cross, queryTokens: target.labels,
                                      keyTokens: source.labels, mask: source.paddingMask, queriesKeys: queriesKeys)
                }
            }
            trace = record
        }
        return EncoderDecoderOutput(logits: logits, encoderStates: encoded.output, decoderStates: decoded.output,
                                    encoderLayers: encoded.layers, decoderLayers: decoded.layers, trace: trace)
    }

    /// Every weight tensor with its dotted name: "tokenEmbedding.weight",
    /// "positionEmbedding.weight" (learned positions only), "encoder.layers.0.attention.query.weight", …,
    /// "encoder.finalNorm.gamma" (pre-norm only), "decoder.layers.0.selfAttention.…",
    /// "decoder.layers.0.crossAttention.…", …, "decoder.finalNorm.…" (pre-norm only),
    /// "outputProjection.weight" (untied only).
    public var parameters: [(name: String, tensor: Tensor)] {
        prefixed("tokenEmbedding", tokenEmbedding.parameters)
            + (positionEmbedding.map { prefixed("positionEmbedding", $0.parameters) } ?? [])
            + prefixed("encoder", encoder.parameters)
            + prefixed("decoder", decoder.parameters)
            + (outputProjection.map { prefixed("outputProjection", $0.parameters) } ?? [])
    }
}
