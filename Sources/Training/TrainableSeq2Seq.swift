import TensorCore
import Transformer

/// Teacher forcing's "shifted right": the decoder reads the target one step late.
///
///     target        =       I   am  a   student
///     decoderInput  = <s>   I   am  a   student
///     labels        = I     am  a   student </s>
///
/// At position t the decoder has seen `decoderInput[0...t]` (the start token and the first t
/// target tokens, thanks to the causal mask) and must predict `labels[t]`, the next token. Both
/// arrays have `target.count + 1` entries.
package func shiftedRight(_ target: [Int], startID: Int, endID: Int) -> (decoderInput: [Int], labels: [Int]) {
    ([startID] + target, target + [endID])
}

/// A trainable encoder–decoder Transformer (Vaswani et al. 2017) for translation.
///
/// - Embeddings: separate source and target tables ("sourceEmbedding.weight",
///   "targetEmbedding.weight") or, with `sharedEmbedding`, one table "tokenEmbedding.weight" as
///   `EncoderDecoderModel` has (the two vocabulary sizes must then be equal). Rows are scaled by
///   √d, and sinusoidal positions are added as constants (no learned positions, whatever
///   `configuration.positions` says).
/// - Encoder: `configuration.layers` `TrainableEncoderLayer`s ("encoder.layers.N.…"), plus
///   "encoder.finalNorm.…" with pre-norm; the source padding mask hides pad keys.
/// - Decoder: `configuration.layers` `TrainableDecoderLayer`s ("decoder.layers.N.…"), plus
///   "decoder.finalNorm.…" with pre-norm; causal mask combined with the target padding mask for
///   self-attention, the source padding mask for cross-attention.
/// - Output: logits = h·Eᵀ with the target table when `configuration.tiedOutput`, otherwise a
///   separate "outputProjection.weight" [d, V_target] without bias.
///
/// The norm placement (pre or post) comes from `configuration.normPlacement`; the defaults
/// (`.tiny`) are pre-norm. `configuration.vocabularySize` and `maxLength` are not used.
public struct TrainableSeq2Seq {
    /// Layers (of the encoder and of the decoder each), d_model, heads, feed-forward width, activation, norm placement.
    public let configuration: TransformerConfiguration
    /// The number of source (Chinese) token ids.
    public let sourceVocabularySize: Int
    /// The number of target (English) token ids, the width of the output logits.
    public let targetVocabularySize: Int
    package let sourceEmbedding: TrainableEmbedding
    /// The same table as `sourceEmbedding` when the embedding is shared.
    package let targetEmbedding: TrainableEmbedding
    package let sharedEmbedding: Bool
    package let encoderLayers: [TrainableEncoderLayer]
    package let encoderFinalNorm: TrainableLayerNorm?
    package let decoderLayers: [TrainableDecoderLayer]
    package let decoderFinalNorm: TrainableLayerNorm?
    package let outputProjection: TrainableLinear?
    /// Every weight, with dotted names as in the inference models.
    public let parameters: ParameterCollection

    package init(configuration: TransformerConfiguration, sourceVocabularySize: Int, targetVocabularySize: Int,
                seed: UInt64, sharedEmbedding: Bool = false) throws {
        var c = configuration
        c.vocabularySize = max(targetVocabularySize, 1)
        try c.validate()
        guard sourceVocabularySize > 0, targetVocabularySize > 0 else {
            throw TransformerError.invalidConfiguration(
                field: "TrainableSeq2Seq.vocabularySize",
                reason: "both vocabularies must be non-empty (got \(sourceVocabularySize) and \(targetVocabularySize))")
        }
        if sharedEmbedding, sourceVocabularySize != targetVocabularySize {
            throw TransformerError.invalidConfiguration(
                field: "TrainableSeq2Seq.sharedEmbedding",
                reason: "a shared table needs one vocabulary, but the source has \(sourceVocabularySize) "
                    + "tokens and the target \(targetVocabularySize)")
        }
        self.configuration = configuration
        self.sourceVocabularySize = sourceVocabularySize
        self.targetVocabularySize = targetVocabularySize
        self.sharedEmbedding = sharedEmbedding
        var generator = SeededGenerator(seed: seed)
        let d = c.modelDimension
        sourceEmbedding = TrainableEmbedding(Embedding(vocabularySize: sourceVocabularySize, dimension: d, using: &generator))
        targetEmbedding = sharedEmbedding
            ? sourceEmbedding
            : TrainableEmbedding(Embedding(vocabularySize: targetVocabularySize, dimension: d, using: &generator))
        (encoderLayers, encoderFinalNorm) = try trainableEncoderStack(c, using: &generator)
        (decoderLayers, decoderFinalNorm) = try trainableDecoderStack(c, using: &generator)
        outputProjection = c.tiedOutput
            ? nil
            : TrainableLinear(Linear(inputSize: d, outputSize: targetVocabularySize, bias: false, using: &generator))

        let embeddings: [(name: String, parameters: ParameterCollection?)] = sharedEmbedding
            ? [("tokenEmbedding", sourceEmbedding.parameters)]
            : [("sourceEmbedding", sourceEmbedding.parameters), ("targetEmbedding", targetEmbedding.parameters)]
        parameters = try .naming(embeddings
            + encoderLayers.enumerated().map { ("encoder.layers.\($0)", $1.parameters) }
            + [("encoder.finalNorm", encoderFinalNorm?.parameters)]
            + decoderLayers.enumerated().map { ("decoder.layers.\($0)", $1.parameters) }
            + [("decoder.finalNorm", decoderFinalNorm?.parameters), ("outputProjection", outputProjection?.parameters)])
    }

    // MARK: Forward

    /// Pads every sequence with `padID` to the longest one.
    static func padded(_ batch: [[Int]], padID: Int, operation: String) throws -> [[Int]] {
        guard !batch.isEmpty, let length = batch.map(\.count).max(), length > 0 else {
            throw TransformerError.invalidInput(operation: operation, reason: "the batch holds no tokens")
        }
        return batch.map { $0 + Array(repeating: padID, count: length - $0.count) }
    }

    /// The encoder output [B, S, d] and the source padding mask [B, 1, 1, S] for an already
    /// padded batch.
    package func encode(paddedSource: [[Int]], padID: Int) throws -> (memory: Variable, mask: Tensor) {
        let mask = paddingMask(tokenIDs: paddedSource, padID: padID)       // (B, 1, 1, S)
        var h = try sourceEmbedding.embeddedWithPositions(batch: paddedSource)   // (B, S, d)
        for layer in encoderLayers { h = try layer(h, mask: mask).output }  // (B, S, d)
        if let encoderFinalNorm { h = try encoderFinalNorm(h) }
        return (h, mask)
    }

    /// Decoder logits [B, T, V_target] for a padded decoder input, given the encoder output.
    package func decode(paddedDecoderInput: [[Int]], memory: Variable, memoryMask: Tensor,
                       padID: Int) throws -> Variable {
        let length = paddedDecoderInput[0].count
        let selfMask = try combineMasks(causalMask(size: length),
                                        paddingMask(tokenIDs: paddedDecoderInput, padID: padID))   // (B, 1, T, T)
        var h = try targetEmbedding.embeddedWithPositions(batch: paddedDecoderInput)   // (B, T, d)
        for layer in decoderLayers {
            h = try layer(h, memory: memory, selfMask: selfMask, memoryMask: memoryMask).output
        }
        if let decoderFinalNorm { h = try decoderFinalNorm(h) }             // (B, T, d)
        if let outputProjection { return try outputProjection(h) }          // (B, T, V)
        return try h.matmul(targetEmbedding.weight.transposed())            // (B, T, d) x (d, V)
    }

    /// Logits [B, T, V_target]: every sequence padded with `padID` to the longest of its batch.
    /// Logits at position t depend only on `decoderInputBatch[b][0...t]` and the source.
    package func logits(sourceBatch: [[Int]], decoderInputBatch: [[Int]], padID: Int) throws -> Variable {
        let operation = "TrainableSeq2Seq.logits"
        guard sourceBatch.count == decoderInputBatch.count else {
            throw TransformerError.invalidInput(
                operation: operation,
                reason: "\(sourceBatch.count) source sequences but \(decoderInputBatch.count) decoder inputs")
        }
        let source = try Self.padded(sourceBatch, padID: padID, operation: operation + " (source)")
        let target = try Self.padded(decoderInputBatch, padID: padID, operation: operation + " (decoder input)")
        let (memory, mask) = try encode(paddedSource: source, padID: padID)
        return try decode(paddedDecoderInput: target, memory: memory, memoryMask: mask, padID: padID)
    }

    /// Mean cross-entropy over every non-pad label (teacher forcing). `targetBatch[b]` must have
    /// as many ids as `decoderInputBatch[b]` (see `shiftedRight`); positions whose label is
    /// `padID` are ignored.
    package func loss(sourceBatch: [[Int]], decoderInputBatch: [[Int]], targetBatch: [[Int]],
                     padID: Int) throws -> Variable {
        let operation = "TrainableSeq2Seq.loss"
        guard targetBatch.count == decoderInputBatch.count,
              zip(targetBatch, decoderInputBatch).allSatisfy({ $0.count == $1.count }) else {
            throw TransformerError.invalidInput(
                operation: operation,
                reason: "each label sequence must be as long as its decoder input (use shiftedRight)")
        }
        let logits = try logits(sourceBatch: sourceBatch, decoderInputBatch: decoderInputBatch, padID: padID)
        let (batch, length, vocabulary) = (logits.shape[0], logits.shape[1], logits.shape[2])
        let labels = try Self.padded(targetBatch, padID: padID, operation: operation + " (labels)")
        return try logits.reshaped([batch * length, vocabulary])
            .crossEntropy(targets: labels.flatMap { $0 }, ignoreIndex: padID)
    }

    /// Greedy decoding: encode the source once, then repeatedly run the decoder on
    /// [start] + the tokens so far and append the most likely next token, until `endID` or
    /// `maxLength` generated tokens. Returns the generated tokens without the start and end ids.
    public func greedyDecode(source: [Int], startID: Int, endID: Int, maxLength: Int) throws -> [Int] {
        let padID = -1   // a single unpadded sequence: nothing is padding
        let (memory, mask) = try encode(paddedSource: [source], padID: padID)
        var prefix = [startID]
        var generated: [Int] = []
        while generated.count < maxLength {
            let logits = try decode(paddedDecoderInput: [prefix], memory: memory, memoryMask: mask, padID: padID)
            let v = logits.shape[2]
            let last = logits.value.scalars[((prefix.count - 1) * v)..<(prefix.count * v)]
            var best = last.startIndex
            for index in last.indices where last[index] > last[best] { best = index }
            let next = best - last.startIndex
            if next == endID { break }
            generated.append(next)
            prefix.append(next)
        }
        return generated
    }
}
