import TensorCore

/// Grouped-query attention (Ainslie et al. 2023, "GQA: Training Generalized Multi-Query
/// Transformer Models from Multi-Head Checkpoints"), with optional rotary positions: the
/// attention of Llama-family models.
///
/// When a model generates, every layer keeps the keys and values of every earlier position (the
/// KV cache), and reading that cache dominates the time of each new token. GQA shrinks it: there
/// are only kv key/value heads, and the h query heads are split into kv groups of h / kv heads
/// that share one key/value head. Query head i reads kv head i / (h / kv). The two ends:
///
///     kv = h    plain multi-head attention (Vaswani et al. 2017)
///     kv = 1    multi-query attention (Shazeer 2019): one key and one value head for all
///
/// SmolLM2-135M has h = 9 and kv = 3: W_K and W_V are [576, 192] instead of [576, 576], and
/// each kv head serves three query heads. Everything after the projections is the attention of
/// `MultiHeadAttention`: the shared kv heads are repeated to h heads (`repeatingHeads`), so the
/// weights are still [..., h, T_q, T_k], one matrix per query head, and the trace is recorded
/// exactly as before.
extension MultiHeadAttention {
    /// Given projections, with `keyValueHeads` key/value heads and, optionally, RoPE on the
    /// queries and keys (`rotary`, whose d_h must be d_model / heads).
    ///
    /// Shapes: W_Q and W_O [d, d]; W_K and W_V [d, keyValueHeads · d_h]. Throws
    /// `TransformerError.invalidConfiguration` unless heads divides d and keyValueHeads divides
    /// heads, and naming any projection of the wrong shape. With keyValueHeads = heads and no
    /// rotary this is exactly `init(query:key:value:output:heads:)`.
    public init(query: Linear, key: Linear, value: Linear, output: Linear, heads: Int, keyValueHeads: Int,
                rotary: RotaryPositionEmbedding? = nil) throws {
        let d = query.inputSize
        try MultiHeadAttention.validate(modelDimension: d, heads: heads)
        guard keyValueHeads > 0, heads % keyValueHeads == 0 else {
            throw TransformerError.invalidConfiguration(
                field: "keyValueHeads",
                reason: "\(keyValueHeads) key/value heads must be positive and divide the \(heads) query heads "
                    + "(each serves a group of heads / keyValueHeads query heads)")
        }
        let dh = d / heads, kv = keyValueHeads * dh
        for (name, layer, outputs) in [("query", query, d), ("key", key, kv), ("value", value, kv), ("output", output, d)]
        where layer.inputSize != d || layer.outputSize != outputs {
            throw TransformerError.invalidConfiguration(
                field: "MultiHeadAttention.\(name)",
                reason: "the projection must be [\(d), \(outputs)], not \(layer.weight.shape)")
        }
        if let rotary, rotary.headDimension != dh {
            throw TransformerError.invalidConfiguration(
                field: "MultiHeadAttention.rotary",
                reason: "rotates \(rotary.headDimension) features, but each head has \(dh) (d_model \(d) / \(heads) heads)")
        }
        self.query = query
        self.key = key
        self.value = value
        self.output = output
        self.heads = heads
        self.rotary = rotary
    }
}

extension Tensor {
    /// Each head repeated `times` times in place: [..., kv, T, d_h] → [..., kv · times, T, d_h],
    /// heads 0, 0, …, 1, 1, …, so that query head i finds its shared key/value head at i.
    /// (Hugging Face's `repeat_kv`.) Throws `TensorError.invalidShape` for rank < 3 or times < 1.
    public func repeatingHeads(_ times: Int) throws -> Tensor {
        guard rank >= 3, times >= 1 else {
            throw TensorError.invalidShape(operation: "repeatingHeads", shape: shape,
                                           reason: "needs [..., heads, T, d_h] and a positive count, not \(times)")
        }
        let headAxis = rank - 3
        var copies: [Tensor] = []
        for head in 0..<shape[headAxis] {
            let one = try slice(axis: headAxis, range: head..<(head + 1))   // (..., 1, T, d_h)
            copies += Array(repeating: one, count: times)
        }
        return try Tensor.concatenate(copies, axis: headAxis)               // (..., kv·times, T, d_h)
    }
}
