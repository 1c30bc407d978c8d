import Foundation

/// The inside of one decoder layer on a prompt, as the lessons show it: what RMSNorm,
/// RoPE, grouped-query attention and SwiGLU do to real numbers. Computed with the same
/// routines the forward pass uses (so the lesson shows what the model computes), for one
/// layer whose input is the token embeddings: layer 1.
public struct LlamaLayerInspection: Sendable {
    /// The layer's input, one row per position (the token embeddings).
    public let input: [[Float]]
    /// The attention norm's learned scale g (RMSNorm has no bias).
    public let normWeight: [Float]
    /// RMSNorm(input) · g, the rows the projections read.
    public let normalized: [[Float]]
    /// All query heads of every position before and after RoPE, [position][head · d_head + i].
    public let queryBeforeRotation: [[Float]]
    /// The same queries after RoPE, [position][head · d_head + i].
    public let queryAfterRotation: [[Float]]
    /// The key-value heads, after RoPE, [position][kvHead · d_head + i].
    public let keyAfterRotation: [[Float]]
    /// For the last position: the feed-forward norm's output and the gate, up and
    /// SiLU(gate) ⊙ up vectors of the SwiGLU feed-forward layer (d_ff values each).
    public let gate: [Float]
    /// The up projection for the last position (d_ff values).
    public let up: [Float]
    /// SiLU(gate) ⊙ up for the last position, what the down projection reads (d_ff values).
    public let gated: [Float]
    /// Shapes of the layer's weight tensors as the file stores them, [outputs, inputs].
    public let shapes: [(name: String, shape: [Int])]
}

extension LlamaModel {
    /// Runs the first layer on `ids` and returns its intermediate values (see
    /// `LlamaLayerInspection`). Throws like `forward` for empty input or unknown ids.
    public func inspectFirstLayer(ids: [Int]) throws -> LlamaLayerInspection {
        let c = configuration
        guard !ids.isEmpty else { throw LlamaError.emptyInput(operation: "inspectFirstLayer") }
        for (position, id) in ids.enumerated() where id < 0 || id >= c.vocabularySize {
            throw LlamaError.tokenOutOfRange(id: id, position: position, vocabularySize: c.vocabularySize)
        }
        guard ids.count <= c.contextLength else {
            throw LlamaError.contextExceeded(cached: 0, adding: ids.count, limit: c.contextLength)
        }
        let T = ids.count, d = c.hiddenSize, hd = c.headDimension
        let qSize = c.headCount * hd, kvSize = c.keyValueSize, ff = c.feedForwardSize
        let layer = layers[0]
        var x = [Float](repeating: 0, count: T * d), h = x
        var q = [Float](repeating: 0, count: T * qSize), k = [Float](repeating: 0, count: T * kvSize)
        var v = k
        x.withUnsafeMutableBufferPointer { xb in
            for (t, id) in ids.enumerated() { tokenEmbedding.copyRow(id, into: xb.baseAddress! + t * d) }
        }
        x.withUnsafeMutableBufferPointer { xb in
            h.withUnsafeMutableBufferPointer { hb in
                LlamaSession.rmsNorm(xb.baseAddress!, rows: T, width: d, weight: layer.attentionNorm.pointer,
                                     epsilon: c.rmsNormEpsilon, into: hb.baseAddress!)
            }
        }
        h.withUnsafeBufferPointer { hb in
            q.withUnsafeMutableBufferPointer { qb in
                k.withUnsafeMutableBufferPointer { kb in
                    v.withUnsafeMutableBufferPointer { vb in
                        Projection.multiply([(layer.query, qb.baseAddress!), (layer.key, kb.baseAddress!),
                                             (layer.value, vb.baseAddress!)],
                                            x: hb.baseAddress!, rows: T, threads: 1)
                    }
                }
            }
        }
        let before = q
        q.withUnsafeMutableBufferPointer { qb in
            k.withUnsafeMutableBufferPointer { kb in
                for t in 0..<T {
                    let rotation = cosSin(position: t)
                    LlamaSession.rotate(qb.baseAddress! + t * qSize, heads: c.headCount, headDimension: hd, by: rotation)
                    LlamaSession.rotate(kb.baseAddress! + t * kvSize, heads: c.keyValueHeadCount, headDimension: hd, by: rotation)
                }
            }
        }
        // The feed-forward half on the last position, from the layer input (the attention
        // residual left out: this shows SwiGLU's arithmetic, not the layer's exact output).
        let last = Array(x[((T - 1) * d)..<(T * d)])
        var normed = [Float](repeating: 0, count: d)
        var gate = [Float](repeating: 0, count: ff), up = gate
        var lastCopy = last
        lastCopy.withUnsafeMutableBufferPointer { lb in
            normed.withUnsafeMutableBufferPointer { nb in
                LlamaSession.rmsNorm(lb.baseAddress!, rows: 1, width: d, weight: layer.feedForwardNorm.pointer,
                                     epsilon: c.rmsNormEpsilon, into: nb.baseAddress!)
            }
        }
        normed.withUnsafeBufferPointer { nb in
            gate.withUnsafeMutableBufferPointer { gb in
                up.withUnsafeMutableBufferPointer { ub in
                    Projection.multiply([(layer.gate, gb.baseAddress!), (layer.up, ub.baseAddress!)],
                                        x: nb.baseAddress!, rows: 1, threads: 1)
                }
            }
        }
        let gated = zip(gate, up).map { g, u in g / (1 + Foundation.exp(-g)) * u }
        func rows(_ values: [Float], _ width: Int) -> [[Float]] {
            (0..<T).map { Array(values[($0 * width)..<(($0 + 1) * width)]) }
        }
        let normWeight = Array(UnsafeBufferPointer(start: layer.attentionNorm.pointer, count: d))
        return LlamaLayerInspection(
            input: rows(x, d), normWeight: normWeight, normalized: rows(h, d),
            queryBeforeRotation: rows(before, qSize), queryAfterRotation: rows(q, qSize),
            keyAfterRotation: rows(k, kvSize), gate: gate, up: up, gated: gated,
            shapes: [("attn_norm", [d]), ("attn_q", [layer.query.rows, layer.query.columns]),
                     ("attn_k", [layer.key.rows, layer.key.columns]), ("attn_v", [layer.value.rows, layer.value.columns]),
                     ("attn_output", [layer.attentionOutput.rows, layer.attentionOutput.columns]),
                     ("ffn_norm", [d]), ("ffn_gate", [layer.gate.rows, layer.gate.columns]),
                     ("ffn_up", [layer.up.rows, layer.up.columns]), ("ffn_down", [layer.down.rows, layer.down.columns])])
    }
}
