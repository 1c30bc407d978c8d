import ModelIO
import TensorCore
import Transformer
import Training

/// Head ablation for the encoder–decoder translator: greedy translation with chosen heads
/// silenced (their output before W_O set to zero), in the encoder's self-attention, the
/// decoder's causal self-attention or its cross-attention. With nothing silenced it gives the
/// model's own `greedyDecode`.
public struct TranslatorAblation {
    /// One head of one kind of attention.
    public struct Head: Hashable, Sendable {
        /// Encoder self-attention, decoder self-attention or cross-attention.
        public let kind: AttentionKind
        /// The layer (within its stack) and the head, both 0-based.
        public let index: HeadIndex
        /// The head `head` of layer `layer` (both 0-based) of attention `kind`.
        public init(kind: AttentionKind, layer: Int, head: Int) {
            self.kind = kind
            index = HeadIndex(layer: layer, head: head)
        }
    }

    /// The translator's model, unchanged: silencing happens while decoding.
    public let model: TrainableSeq2Seq
    /// The heads whose output is replaced by zeros.
    public let silenced: Set<Head>

    /// Decoding with `model` and the heads in `silenced` silenced.
    public init(model: TrainableSeq2Seq, silencing silenced: Set<Head>) {
        self.model = model
        self.silenced = silenced
    }

    private func heads(_ kind: AttentionKind) -> Set<HeadIndex> {
        Set(silenced.filter { $0.kind == kind }.map(\.index))
    }

    /// Token rows × √d + sinusoidal positions, as `TrainableSeq2Seq` embeds: [1, T, d].
    private func embed(_ ids: [Int], table: TrainableEmbedding) throws -> Tensor {
        try table.embeddedWithPositions(batch: [ids]).value
    }

    /// Greedy translation of source ids, as `TrainableSeq2Seq.greedyDecode`: the generated
    /// target ids, without the start and end tokens, at most `maxLength`.
    public func translate(source: [Int], startID: Int, endID: Int, maxLength: Int) throws -> [Int] {
        guard model.configuration.normPlacement == .pre else {
            throw TransformerError.invalidInput(operation: "TranslatorAblation", reason: "only pre-norm translators can be probed")
        }
        let sourceMask = paddingMask(tokenIDs: [source], padID: -1)                     // (1, 1, 1, S)
        var scratch = AttentionTrace(architecture: "encoder-decoder")
        let encoded = try ProbedModel.runLayers(try model.encoderLayers.map { try $0.inferenceLayer() },
                                                input: try embed(source, table: model.sourceEmbedding), mask: sourceMask,
                                                labels: source.map(String.init), kind: .encoderSelf,
                                                ablated: heads(.encoderSelf), recordQueriesKeys: false, trace: &scratch)
        var memory = encoded[encoded.count - 1]
        if let norm = model.encoderFinalNorm { memory = try norm.inferenceLayer()(memory) }
        let layers = try model.decoderLayers.map { try $0.inferenceLayer() }
        let finalNorm = try model.decoderFinalNorm?.inferenceLayer()
        let selfSilenced = heads(.decoderSelf), crossSilenced = heads(.cross)
        var prefix = [startID], generated: [Int] = []
        while generated.count < maxLength {
            let selfMask = try combineMasks(causalMask(size: prefix.count), paddingMask(tokenIDs: [prefix], padID: -1))
            var x = try embed(prefix, table: model.targetEmbedding)                         // (1, T, d)
            for (index, layer) in layers.enumerated() {
                x = try decoderLayer(layer, index: index, x: x, memory: memory, selfMask: selfMask, memoryMask: sourceMask,
                                     selfSilenced: selfSilenced, crossSilenced: crossSilenced)
            }
            if let finalNorm { x = try finalNorm(x) }
            let logits: Tensor
            if let projection = model.outputProjection {
                logits = try projection.inferenceLayer()(x)
            } else {
                logits = try x.matmul(model.targetEmbedding.weight.value.transposed())
            }
            let v = logits.shape[2]
            let last = Array(logits.scalars[((prefix.count - 1) * v)..<(prefix.count * v)])
            let next = argmaxIndex(last)
            if next == endID { break }
            generated.append(next)
            prefix.append(next)
        }
        return generated
    }

    /// One pre-norm decoder layer as `DecoderLayer` runs it, with heads silenced before W_O.
    private func decoderLayer(_ layer: DecoderLayer, index: Int, x: Tensor, memory: Tensor, selfMask: Tensor,
                              memoryMask: Tensor, selfSilenced: Set<HeadIndex>, crossSilenced: Set<HeadIndex>) throws -> Tensor {
        func output(_ attention: MultiHeadAttention, _ result: MultiHeadOutput, _ silenced: Set<HeadIndex>) throws -> Tensor {
            let heads = (0..<attention.heads).filter { silenced.contains(HeadIndex(layer: index, head: $0)) }
            guard !heads.isEmpty else { return result.output }
            return try attention.output(try ProbedModel.silence(result.stages.output, heads: heads).mergeHeads())
        }
        let selfResult = try layer.selfAttention(try layer.selfAttentionNorm(x), mask: selfMask)
        var h = try x + output(layer.selfAttention, selfResult, selfSilenced)
        if let cross = layer.crossAttention, let norm = layer.crossAttentionNorm {
            let crossResult = try cross(query: try norm(h), keyValue: memory, mask: memoryMask)
            h = try h + output(cross, crossResult, crossSilenced)
        }
        return try h + layer.feedForward(try layer.feedForwardNorm(h))
    }
}
