import TensorCore
import Transformer

/// A trainable stack of self-attention layers over one sequence: GPT's decoder-only model and
/// BERT's encoder-only model are the same code, and only the mask differs.
///
/// - `.causal` (decoder-only, GPT): position t sees positions 0…t, and the model predicts the
///   next token at every position.
/// - `.bidirectional` (encoder-only, BERT): every position sees the whole sequence (padding
///   aside), and the model predicts the hidden tokens of a masked-LM input.
///
/// Layout: token embedding × √d + sinusoidal positions (constants) [+ a learned segment
/// embedding for sentence A/B when `segmentCount` > 0], then `configuration.layers`
/// `TrainableEncoderLayer`s ("layers.N.…"), a final layer norm with pre-norm ("finalNorm.…"),
/// and logits = h·Eᵀ with the token table (tied output). Parameter names:
/// "tokenEmbedding.weight", "segmentEmbedding.weight", "layers.N.attention.query.weight", ….
public struct TrainableSelfAttentionStack {
    /// Which positions a query may look at.
    public enum AttentionPattern: String, Sendable, CaseIterable {
        /// Only itself and earlier positions (decoder-only).
        case causal
        /// Every position (encoder-only).
        case bidirectional
    }

    /// Layers, d_model, heads, feed-forward width, activation, norm placement and positions.
    public let configuration: TransformerConfiguration
    /// The number of token ids the embedding and the tied output cover.
    public let vocabularySize: Int
    /// Causal (the language model) or bidirectional (TinyBERT).
    public let pattern: AttentionPattern
    package let tokenEmbedding: TrainableEmbedding
    /// Sentence A/B embeddings (BERT's token types); nil when `segmentCount` is 0.
    package let segmentEmbedding: TrainableEmbedding?
    package let layers: [TrainableEncoderLayer]
    package let finalNorm: TrainableLayerNorm?
    /// Every weight, with dotted names as in the inference models.
    public let parameters: ParameterCollection

    package init(configuration: TransformerConfiguration, vocabularySize: Int, pattern: AttentionPattern,
                segmentCount: Int = 0, seed: UInt64) throws {
        var c = configuration
        c.vocabularySize = max(vocabularySize, 1)
        try c.validate()
        guard vocabularySize > 0 else {
            throw TransformerError.invalidConfiguration(field: "TrainableSelfAttentionStack.vocabularySize",
                                                        reason: "must be at least 1 (got \(vocabularySize))")
        }
        guard segmentCount >= 0 else {
            throw TransformerError.invalidConfiguration(field: "TrainableSelfAttentionStack.segmentCount",
                                                        reason: "must not be negative (got \(segmentCount))")
        }
        self.configuration = configuration
        self.vocabularySize = vocabularySize
        self.pattern = pattern
        var generator = SeededGenerator(seed: seed)
        let d = c.modelDimension
        tokenEmbedding = TrainableEmbedding(Embedding(vocabularySize: vocabularySize, dimension: d, using: &generator))
        segmentEmbedding = segmentCount > 0
            ? TrainableEmbedding(Embedding(vocabularySize: segmentCount, dimension: d, using: &generator))
            : nil
        (layers, finalNorm) = try trainableEncoderStack(c, using: &generator)
        parameters = try .naming([("tokenEmbedding", tokenEmbedding.parameters),
                                  ("segmentEmbedding", segmentEmbedding?.parameters)]
                                 + layers.enumerated().map { ("layers.\($0)", $1.parameters) }
                                 + [("finalNorm", finalNorm?.parameters)])
    }

    /// Logits [B, T, V] and every layer's attention weights [B, h, T, T] for a batch padded with
    /// `padID` to its longest sequence (pad keys are hidden; pass a `padID` no token uses, such
    /// as -1, for a single unpadded sequence). `segments`, when the model has segment
    /// embeddings, gives 0 (sentence A) or 1 (sentence B) per token; missing means all 0.
    package func forward(_ batch: [[Int]], segments: [[Int]]? = nil, padID: Int) throws
        -> (logits: Variable, attention: [Tensor]) {
        let (h, weights) = try hiddenStates(batch, segments: segments, padID: padID)       // (B, T, d)
        return (try h.matmul(tokenEmbedding.weight.transposed()), weights)                 // (B, T, V)
    }

    /// The last layer's output after the final norm, [B, T, d], before the tied output projection
    /// (what a reward model reads), and every layer's attention weights. Arguments as `forward`.
    package func hiddenStates(_ batch: [[Int]], segments: [[Int]]? = nil, padID: Int) throws
        -> (hidden: Variable, attention: [Tensor]) {
        let (hidden, attention) = try run(batch, segments: segments, padID: padID)
        return (hidden, attention.map(\.weights))
    }

    /// `hiddenStates` with every layer's whole attention (weights, queries and keys).
    func run(_ batch: [[Int]], segments: [[Int]]?, padID: Int) throws
        -> (hidden: Variable, attention: [TrainableAttentionOutput]) {
        var (h, mask) = try input(batch, segments: segments, padID: padID)                 // (B, T, d)
        var attention: [TrainableAttentionOutput] = []
        for layer in layers {
            let step = try layer(h, mask: mask)
            h = step.output
            attention.append(step)
        }
        if let finalNorm { h = try finalNorm(h) }                                          // (B, T, d)
        return (h, attention)
    }

    /// What the first layer reads, [B, T, d] (token rows × √d + positions [+ segments]), and the
    /// mask every layer runs with (padding, and causal for `.causal`), for a batch padded with
    /// `padID`. Arguments as `forward`.
    package func input(_ batch: [[Int]], segments: [[Int]]? = nil, padID: Int) throws -> (embedded: Variable, mask: Tensor) {
        let operation = "TrainableSelfAttentionStack.forward"
        let padded = try TrainableSeq2Seq.padded(batch, padID: padID, operation: operation)
        let length = padded[0].count
        var h = try tokenEmbedding.embeddedWithPositions(batch: padded)                    // (B, T, d)
        if let segmentEmbedding {
            let types = try TrainableSeq2Seq.padded(segments ?? padded.map { $0.map { _ in 0 } }, padID: 0,
                                                     operation: operation + " (segments)")
            guard types.count == padded.count, types.allSatisfy({ $0.count == length }) else {
                throw TransformerError.invalidInput(operation: operation,
                                                    reason: "give one segment id per token of every sequence")
            }
            h = try h + segmentEmbedding.lookup(batch: types)                              // (B, T, d)
        }
        let padding = paddingMask(tokenIDs: padded, padID: padID)                          // (B, 1, 1, T)
        return (h, pattern == .causal ? try combineMasks(causalMask(size: length), padding) : padding)
    }

    /// Mean cross-entropy of `labels` (one per input token; `ignoreIndex` where nothing is to be
    /// predicted, and at padding) given the inputs.
    package func loss(inputs: [[Int]], labels: [[Int]], segments: [[Int]]? = nil, padID: Int,
                     ignoreIndex: Int) throws -> Variable {
        guard labels.count == inputs.count, zip(labels, inputs).allSatisfy({ $0.count == $1.count }) else {
            throw TransformerError.invalidInput(operation: "TrainableSelfAttentionStack.loss",
                                                reason: "give one label per input token")
        }
        let logits = try forward(inputs, segments: segments, padID: padID).logits
        let (batch, length, vocabulary) = (logits.shape[0], logits.shape[1], logits.shape[2])
        let padded = labels.map { $0 + Array(repeating: ignoreIndex, count: length - $0.count) }
        return try logits.reshaped([batch * length, vocabulary])
            .crossEntropy(targets: padded.flatMap { $0 }, ignoreIndex: ignoreIndex)
    }

    /// The logits of one unpadded sequence as rows of Floats, [T][V].
    package func logitRows(_ ids: [Int], segments: [Int]? = nil) throws -> [[Float]] {
        let logits = try forward([ids], segments: segments.map { [$0] }, padID: -1).logits.value
        let v = logits.shape[2]
        return (0..<ids.count).map { Array(logits.scalars[($0 * v)..<(($0 + 1) * v)]) }
    }

    /// The attention of one unpadded sequence as a trace (one entry per layer and head), with
    /// every head's queries and keys when `recordQueriesKeys` (the neuron view).
    package func trace(_ ids: [Int], tokens: [String], segments: [Int]? = nil,
                      recordQueriesKeys: Bool = false) throws -> AttentionTrace {
        let attention = try run([ids], segments: segments.map { [$0] }, padID: -1).attention
        var trace = AttentionTrace(architecture: pattern == .causal ? "decoder-only" : "encoder-only")
        for (layer, step) in attention.enumerated() {
            try trace.record(step, layer: layer, kind: pattern == .causal ? .decoderSelf : .encoderSelf,
                             queryTokens: tokens, keyTokens: tokens, queriesKeys: recordQueriesKeys)
        }
        return trace
    }
}

/// The index of the largest value (the first one on ties); nil for an empty array.
func argmax(_ values: [Float]) -> Int? {
    guard var best = values.indices.first else { return nil }
    for index in values.indices where values[index] > values[best] { best = index }
    return best
}
