import TensorCore

extension TrainableSeq2Seq {
    /// The decoder's cross-attention for one source sentence and one decoder input, per layer:
    /// each Tensor is [heads, T_decoder, S_source]. Row t is what position t looked at in the
    /// source while producing output token t; this is the alignment a trained translator learns.
    public func crossAttentionWeights(source: [Int], decoderInput: [Int], padID: Int) throws -> [Tensor] {
        let (memory, memoryMask) = try encode(paddedSource: [source], padID: padID)      // (1, S, d)
        let selfMask = try combineMasks(causalMask(size: decoderInput.count),
                                        paddingMask(tokenIDs: [decoderInput], padID: padID))   // (1, 1, T, T)
        var h = try embed([decoderInput], table: targetEmbedding)                         // (1, T, d)
        var weights: [Tensor] = []
        for layer in decoderLayers {
            let step = try layer(h, memory: memory, selfMask: selfMask, memoryMask: memoryMask)
            weights.append(try step.crossAttentionWeights.reshaped(Array(step.crossAttentionWeights.shape.dropFirst())))
            h = step.output
        }
        return weights
    }
}
