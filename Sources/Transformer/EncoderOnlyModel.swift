import TensorCore

/// What an encoder-only model produced.
public struct EncoderOnlyOutput: Sendable {
    /// One contextual vector per token: [T, d] for a sequence, [B, T, d] for a batch.
    public let hiddenStates: Tensor
    /// The padding mask the batch was run with, [B, 1, 1, T]; nil for a single sequence.
    public let paddingMask: Tensor?
    /// Every layer's output and attention, first layer first.
    public let layers: [EncoderLayerOutput]
    /// Every head's weights with token labels, when `recordTrace` was true.
    public let trace: AttentionTrace?
}

/// A BERT-like model (Devlin et al. 2019): token + position embeddings and a stack of encoder
/// layers with bidirectional self-attention, so every token's output depends on the whole
/// sequence, before and after it. It returns hidden states, not logits: BERT puts task heads
/// (masked-word prediction, classification) on top of them.
public struct EncoderOnlyModel: Sendable {
    /// "encoder-only": the `architecture` of the traces this model records.
    public static let architecture = "encoder-only"

    /// The sizes and choices the model was built with.
    public let configuration: TransformerConfiguration
    /// E [vocabularySize, d].
    public let tokenEmbedding: Embedding
    /// The learned position table [maxLength, d]; nil with sinusoidal positions.
    public let positionEmbedding: LearnedPositionalEncoding?
    /// The encoder layers and, for pre-norm, the final norm.
    public let encoder: EncoderStack

    /// Random weights from `seed`, drawn in the order token table, position table, layers.
    /// Throws `TransformerError.invalidConfiguration` when the configuration does not validate.
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
    }

    /// One sequence: hidden states [T, d]. No mask: every token sees every token.
    /// `tokens` are labels for the trace (default: the ids as text).
    /// `recordQueriesKeys` adds every head's queries and keys to the trace (the neuron view).
    public func forward(_ tokenIDs: [Int], tokens: [String]? = nil, recordTrace: Bool = false,
                        recordQueriesKeys: Bool = false) throws -> EncoderOnlyOutput {
        let input = try ModelInput.single(tokenIDs, labels: tokens, operation: "EncoderOnlyModel.forward")
        return try run(input, recordTrace: recordTrace || recordQueriesKeys, queriesKeys: recordQueriesKeys)
    }

    /// A batch: shorter sequences are padded with `padID` up to the longest, and every position
    /// holding `padID` is hidden as a key by the padding mask [B, 1, 1, T]. Hidden states
    /// [B, T, d]. `tokens` label sequence 0, the one the trace records.
    public func forward(batch: [[Int]], padID: Int, tokens: [String]? = nil,
                        recordTrace: Bool = false, recordQueriesKeys: Bool = false) throws -> EncoderOnlyOutput {
        let input = try ModelInput.batch(batch, padID: padID, labels: tokens,
                                         vocabularySize: configuration.vocabularySize,
                                         operation: "EncoderOnlyModel.forward(batch:)")
        return try run(input, recordTrace: recordTrace || recordQueriesKeys, queriesKeys: recordQueriesKeys)
    }

    private func run(_ input: ModelInput, recordTrace: Bool, queriesKeys: Bool) throws -> EncoderOnlyOutput {
        let x = try input.embedded(tokens: tokenEmbedding, positions: positionEmbedding)   // (B, T, d)
        let encoded = try encoder(x, mask: input.paddingMask)                              // (B, T, d)

        var trace: AttentionTrace?
        if recordTrace {
            var record = AttentionTrace(architecture: Self.architecture)
            for (index, layer) in encoded.layers.enumerated() {
                try record.record(layer.attention, layer: index, kind: .encoderSelf, queryTokens: input.labels,
                                  keyTokens: input.labels, mask: input.paddingMask, queriesKeys: queriesKeys)
            }
            trace = record
        }
        return EncoderOnlyOutput(hiddenStates: encoded.output, paddingMask: input.paddingMask,
                                 layers: encoded.layers, trace: trace)
    }

    /// Every weight tensor with its dotted name: "tokenEmbedding.weight",
    /// "positionEmbedding.weight" (learned positions only), "encoder.layers.0.attention.query.weight", …,
    /// "encoder.finalNorm.gamma" (pre-norm only).
    public var parameters: [(name: String, tensor: Tensor)] {
        prefixed("tokenEmbedding", tokenEmbedding.parameters)
            + (positionEmbedding.map { prefixed("positionEmbedding", $0.parameters) } ?? [])
            + prefixed("encoder", encoder.parameters)
    }
}
