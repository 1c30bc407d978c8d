import Foundation
import TensorCore
import Transformer

/// Builds the readable `LlamaReferenceModel` (Transformer) from the same GGUF weights that the
/// fast `LlamaModel` runs, every matrix dequantised to Float. Used by the tests that hold the fast
/// path to the reference; it is slow and takes about 540 MB for SmolLM2, so nothing else loads it.
extension LlamaReferenceModel {
    /// Reads the `llama.*` configuration and every weight of `file`. GGUF stores each matrix the
    /// way PyTorch does, [outputs, inputs] (y = x Wᵀ); `Linear` holds W [inputs, outputs]
    /// (y = x W), so each matrix is transposed on the way in. Throws `GGUFError` for a bad file
    /// and `LlamaError.tensorShape` for a weight of the wrong shape.
    public static func load(from file: GGUFFile) throws -> LlamaReferenceModel {
        let c = try LlamaConfiguration(gguf: file)
        let d = c.hiddenSize, kv = c.keyValueSize, ff = c.feedForwardSize
        let epsilon = Float(c.rmsNormEpsilon)

        func stored(_ name: String, _ shape: [Int]) throws -> Tensor {
            let tensor = try file.tensor(named: name)
            guard tensor.shape == shape else { throw LlamaError.tensorShape(name: name, expected: shape, found: tensor.shape) }
            return tensor
        }
        /// A bias-free layer from a stored [outputs, inputs] matrix.
        func linear(_ name: String, outputs: Int, inputs: Int) throws -> Linear {
            try Linear(weight: transposedMatrix(stored(name, [outputs, inputs])))   // (inputs, outputs)
        }
        func norm(_ name: String) throws -> RMSNorm {
            try RMSNorm(weight: stored(name, [d]), epsilon: epsilon)
        }

        let rotary = try RotaryPositionEmbedding(headDimension: c.headDimension, base: c.ropeFrequencyBase)
        var layers: [LlamaDecoderLayer] = []
        for i in 0..<c.layerCount {
            let p = "blk.\(i)."
            let attention = try MultiHeadAttention(
                query: linear(p + "attn_q.weight", outputs: d, inputs: d),
                key: linear(p + "attn_k.weight", outputs: kv, inputs: d),
                value: linear(p + "attn_v.weight", outputs: kv, inputs: d),
                output: linear(p + "attn_output.weight", outputs: d, inputs: d),
                heads: c.headCount, keyValueHeads: c.keyValueHeadCount, rotary: rotary)
            let feedForward = try SwiGLUFeedForward(
                gate: linear(p + "ffn_gate.weight", outputs: ff, inputs: d),
                up: linear(p + "ffn_up.weight", outputs: ff, inputs: d),
                down: linear(p + "ffn_down.weight", outputs: d, inputs: ff))
            layers.append(try LlamaDecoderLayer(attentionNorm: norm(p + "attn_norm.weight"), attention: attention,
                                                feedForwardNorm: norm(p + "ffn_norm.weight"), feedForward: feedForward))
        }
        let tokenEmbedding = try Embedding(weight: stored("token_embd.weight", [c.vocabularySize, d]))
        let output = file.hasTensor(named: "output.weight")
            ? try linear("output.weight", outputs: c.vocabularySize, inputs: d) : nil
        return try LlamaReferenceModel(tokenEmbedding: tokenEmbedding, layers: layers,
                                       finalNorm: norm("output_norm.weight"), outputProjection: output)
    }

    /// Reads a GGUF file and loads it.
    public static func load(from url: URL) throws -> LlamaReferenceModel {
        try load(from: try GGUFFile(contentsOf: url))
    }

    /// SmolLM2-135M-Instruct from `ModelStore` (an error says how to fetch it when it is missing).
    public static func loadInstalled() throws -> LlamaReferenceModel {
        let folder = try ModelStore.require(.smollm2)
        return try load(from: folder.appendingPathComponent(ModelStore.Name.smollm2.files[0]))
    }
}

/// `matrix.transposed()` for the loader's 2-D weights, over raw buffers: the same values, but the
/// subscripted version takes seconds per model in debug builds (about 140 M scalars for SmolLM2).
private func transposedMatrix(_ matrix: Tensor) throws -> Tensor {
    let rows = matrix.shape[0], columns = matrix.shape[1]
    let result = [Float](unsafeUninitializedCapacity: matrix.count) { buffer, initialized in
        matrix.scalars.withUnsafeBufferPointer { input in
            // Raw pointers, not buffer subscripts: a debug build checks every subscript, and the
            // tests transpose 106 M numbers. A pure copy, so the values are the same either way.
            guard let from = input.baseAddress, let to = buffer.baseAddress else { return }
            for r in 0..<rows {
                let row = from + r * columns
                for c in 0..<columns { (to + c * rows + r).initialize(to: row[c]) }
            }
        }
        initialized = matrix.count
    }
    return try Tensor(shape: [columns, rows], scalars: result)
}
