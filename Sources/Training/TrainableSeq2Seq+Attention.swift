import TensorCore
import Transformer

extension TrainableSeq2Seq {
    /// The decoder's cross-attention for one source sentence and one decoder input, per layer:
    /// each Tensor is [heads, T_decoder, S_source]. Row t is what position t looked at in the
    /// source while producing output token t; this is the alignment a trained translator learns.
    package func crossAttentionWeights(source: [Int], decoderInput: [Int], padID: Int) throws -> [Tensor] {
        let (memory, memoryMask) = try encode(paddedSource: [source], padID: padID)      // (1, S, d)
        let selfMask = try combineMasks(causalMask(size: decoderInput.count),
                                        paddingMask(tokenIDs: [decoderInput], padID: padID))   // (1, 1, T, T)
        var h = try targetEmbedding.embeddedWithPositions(batch: [decoderInput])           // (1, T, d)
        var weights: [Tensor] = []
        for layer in decoderLayers {
            let step = try layer(h, memory: memory, selfMask: selfMask, memoryMask: memoryMask)
            weights.append(try step.crossAttentionWeights.reshaped(Array(step.crossAttentionWeights.shape.dropFirst())))
            h = step.output
        }
        return weights
    }
}

extension TrainableSeq2Seq {
    /// Every attention of the model for one source sentence and one decoder input, as a trace:
    /// the encoder's self-attention, the decoder's causal self-attention and its
    /// cross-attention, per layer and head (architecture "encoder-decoder"), with every head's
    /// queries and keys when `recordQueriesKeys` (the neuron view).
    public func trace(source: [Int], decoderInput: [Int], sourceTokens: [String],
                      decoderTokens: [String], recordQueriesKeys: Bool = false) throws -> AttentionTrace {
        let noPadding = -1   // one unpadded sequence each
        var trace = AttentionTrace(architecture: "encoder-decoder")
        let sourceMask = paddingMask(tokenIDs: [source], padID: noPadding)               // (1, 1, 1, S)
        var memory = try sourceEmbedding.embeddedWithPositions(batch: [source])            // (1, S, d)
        for (index, layer) in encoderLayers.enumerated() {
            let step = try layer(memory, mask: sourceMask)
            try trace.record(step, layer: index, kind: .encoderSelf, queryTokens: sourceTokens,
                             keyTokens: sourceTokens, queriesKeys: recordQueriesKeys)
            memory = step.output
        }
        if let encoderFinalNorm { memory = try encoderFinalNorm(memory) }
        let selfMask = try combineMasks(causalMask(size: decoderInput.count),
                                        paddingMask(tokenIDs: [decoderInput], padID: noPadding))   // (1, 1, T, T)
        var h = try targetEmbedding.embeddedWithPositions(batch: [decoderInput])           // (1, T, d)
        for (index, layer) in decoderLayers.enumerated() {
            let step = try layer(h, memory: memory, selfMask: selfMask, memoryMask: sourceMask)
            try trace.record(step.selfAttention, layer: index, kind: .decoderSelf, queryTokens: decoderTokens,
                             keyTokens: decoderTokens, queriesKeys: recordQueriesKeys)
            try trace.record(step.crossAttention, layer: index, kind: .cross, queryTokens: decoderTokens,
                             keyTokens: sourceTokens, queriesKeys: recordQueriesKeys)
            h = step.output
        }
        return trace
    }
}

extension AttentionTrace {
    /// One trainable attention call (its weights and, when `queriesKeys`, its queries and keys),
    /// recorded as the inference models record theirs.
    mutating func record(_ attention: TrainableAttentionOutput, layer: Int, kind: AttentionKind,
                         queryTokens: [String], keyTokens: [String], queriesKeys: Bool) throws {
        try record(weights: attention.weights, layer: layer, kind: kind, queryTokens: queryTokens,
                   keyTokens: keyTokens, queries: queriesKeys ? attention.queries : nil,
                   keys: queriesKeys ? attention.keys : nil)
    }
}
