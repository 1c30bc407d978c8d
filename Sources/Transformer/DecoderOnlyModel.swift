import TensorCore

/// What a decoder-only model produced.
public struct DecoderOnlyOutput: Sendable {
    /// Scores for the next token after each position: [T, vocab] or [B, T, vocab].
    /// Softmax of row t is the model's distribution over token t + 1.
    public let logits: Tensor
    /// The final hidden states (after the final norm for pre-norm): [T, d] or [B, T, d].
    public let hiddenStates: Tensor
    /// The self-attention mask used: causal [T, T], or causal combined with padding [B, 1, T, T].
    public let mask: Tensor
    /// Every layer's output and attention, first layer first.
    public let layers: [DecoderLayerOutput]
    /// Every head's weights with token labels, when `recordTrace` was true.
    public let trace: AttentionTrace?
}

/// A GPT-like model (Radford et al. 2018, 2019): token + position embeddings, a stack of
/// decoder layers without cross-attention whose self-attention is causal (token t sees tokens
/// 0…t, never the future), and an output projection to one score per vocabulary token.
/// Trained to predict token t + 1 from tokens 0…t, it generates text one token at a time.
public struct DecoderOnlyModel: Sendable {
    /// "decoder-only": the `architecture` of the traces this model records.
    public static let architecture = "decoder-only"

    /// The sizes and choices the model was built with.
    public let configuration: TransformerConfiguration
    /// E [vocabularySize, d]; also the output matrix (Eᵀ) when the output is tied.
    public let tokenEmbedding: Embedding
    /// The learned position table [maxLength, d]; nil with sinusoidal positions.
    public let positionEmbedding: LearnedPositionalEncoding?
    /// The decoder layers (causal, without cross-attention) and, for pre-norm, the final norm.
    public let decoder: DecoderStack
    /// W_out [d, vocabularySize] without bias; nil when the output is tied to `tokenEmbedding`.
    public let outputProjection: Linear?

    /// Random weights from `seed`, drawn in the order token table, position table, layers,
    /// output projection. Throws `TransformerError.invalidConfiguration` when the configuration
    /// does not validate.
    public init(configuration: TransformerConfiguration, seed: UInt64) throws {
        try configuration.validate()
        var generator = SeededGenerator(seed: seed)
        let c = configuration
        self.configuration = c
        tokenEmbedding = Embedding(vocabularySize: c.vocabularySize, dimension: c.modelDimension, using: &generator)
        positionEmbedding = c.positions == .learned
            ? LearnedPositionalEncoding(maxLength: c.maxLength, dimension: c.modelDimension, using: &generator)
            : nil
        decoder = try DecoderStack(configuration: c, crossAttention: false, using: &generator)
        outputProjection = c.tiedOutput
            ? nil
            : Linear(inputSize: c.modelDimension, outputSize: c.vocabularySize, bias: false, using: &generator)
    }

    /// One sequence under the causal mask: logits [T, vocab].
    /// `tokens` are labels for the trace (default: the ids as text).
    /// `recordQueriesKeys` adds every head's queries and keys to the trace (the neuron view).
    public func forward(_ tokenIDs: [Int], tokens: [String]? = nil, recordTrace: Bool = false,
                        recordQueriesKeys: Bool = false) throws -> DecoderOnlyOutput {
        let input = try ModelInput.single(tokenIDs, labels: tokens, operation: "DecoderOnlyModel.forward")
        return try run(input, recordTrace: recordTrace || recordQueriesKeys, queriesKeys: recordQueriesKeys)
    }

    /// A batch, right-padded with `padID` to the longest sequence; pad keys are hidden on top
    /// of the causal mask. Logits [B, T, vocab] (rows at pad positions are meaningless).
    /// `tokens` label sequence 0, the one the trace records.
    public func forward(batch: [[Int]], padID: Int, tokens: [String]? = nil,
                        recordTrace: Bool = false, recordQueriesKeys: Bool = false) throws -> DecoderOnlyOutput {
        let input = try ModelInput.batch(batch, padID: padID, labels: tokens,
                                         vocabularySize: configuration.vocabularySize,
                                         operation: "DecoderOnlyModel.forward(batch:)")
        return try run(input, recordTrace: recordTrace || recordQueriesKeys, queriesKeys: recordQueriesKeys)
    }

    private func run(_ input: ModelInput, recordTrace: Bool, queriesKeys: Bool) throws -> DecoderOnlyOutput {
        let x = try input.embedded(tokens: tokenEmbedding, positions: positionEmbedding)   // (B, T, d)
        var mask = causalMask(size: input.length)                                          // (T, T)
        if let padding = input.paddingMask {
            mask = try combineMasks(mask, padding)                                         // (B, 1, T, T)
        }
        let decoded = try decoder(x, selfMask: mask)                                       // (B, T, d)
        let logits = try outputLogits(decoded.output, tokens: tokenEmbedding,
                                      projection: outputProjection)                        // (B, T, V)

        var trace: AttentionTrace?
        if recordTrace {
            var record = AttentionTrace(architecture: Self.architecture)
            for (index, layer) in decoded.layers.enumerated() {
                try record.record(layer.selfAttention, layer: index, kind: .decoderSelf, queryTokens: input.labels,
                                  keyTokens: input.labels, mask: mask, queriesKeys: queriesKeys)
            }
            trace = record
        }
        return DecoderOnlyOutput(logits: logits, hiddenStates: decoded.output, mask: mask,
                                 layers: decoded.layers, trace: trace)
    }

    /// Every weight tensor with its dotted name: "tokenEmbedding.weight",
    /// "positionEmbedding.weight" (learned positions only),
    /// "decoder.layers.0.selfAttention.query.weight", …, "decoder.finalNorm.gamma" (pre-norm only),
    /// "outputProjection.weight" (untied only: a tied output is the token table, counted once).
    public var parameters: [(name: String, tensor: Tensor)] {
        prefixed("tokenEmbedding", tokenEmbedding.parameters)
            + (positionEmbedding.map { prefixed("positionEmbedding", $0.parameters) } ?? [])
            + prefixed("decoder", decoder.parameters)
            + (outputProjection.map { prefixed("outputProjection", $0.parameters) } ?? [])
    }
}
