import TensorCore

/// What one multi-head attention call produced.
public struct MultiHeadOutput: Sendable {
    /// The layer's output, one vector per query: [..., T_q, d_model].
    public let output: Tensor
    /// Each head's attention weights (softmax rows; a hidden key gets exactly 0):
    /// [..., h, T_q, T_k].
    public let weights: Tensor
    /// Every stage of the per-head attention (Q, K, V as [..., h, T, d_h], scores, masked scores,
    /// weights, per-head outputs), for lessons that show the inside of one head.
    public let stages: AttentionStages

    /// How many heads `weights` holds (its axis −3).
    public var headCount: Int { weights.shape.count >= 3 ? weights.shape[weights.shape.count - 3] : 0 }

    /// One head's attention weights as rows (queries) of columns (keys), ready for a `Heatmap`
    /// or a printout: `weights[head]` of an unbatched output ([h, T_q, T_k]), or
    /// `weights[batch, head]` of a batched one ([B, h, T_q, T_k]). Heads and batch entries count
    /// from 0, like every index in the library (`tx` shows heads from 1).
    public func weights(head: Int, batch: Int = 0) throws -> [[Float]] {
        let shape = weights.shape
        guard shape.count == 3 || shape.count == 4 else {
            throw TransformerError.invalidInput(operation: "MultiHeadOutput.weights(head:)",
                                                reason: "weights of shape \(shape) are neither [h, T_q, T_k] nor [B, h, T_q, T_k]")
        }
        let batches = shape.count == 4 ? shape[0] : 1
        let heads = headCount, queries = shape[shape.count - 2], keys = shape[shape.count - 1]
        guard (0..<heads).contains(head) else {
            throw TransformerError.invalidInput(operation: "MultiHeadOutput.weights(head:)",
                                                reason: "head \(head) does not exist: the heads are 0..<\(heads)")
        }
        guard (0..<batches).contains(batch) else {
            throw TransformerError.invalidInput(operation: "MultiHeadOutput.weights(head:)",
                                                reason: "batch entry \(batch) does not exist: the entries are 0..<\(batches)")
        }
        let start = (batch * heads + head) * queries * keys
        return (0..<queries).map { q in Array(weights.scalars[(start + q * keys)..<(start + (q + 1) * keys)]) }
    }
}

/// Multi-head attention (Vaswani et al. 2017, §3.2.2):
///
///     MultiHead(Q, K, V) = Concat(head_1, …, head_h) W_O,
///     head_i = Attention(Q W_Q^i, K W_K^i, V W_V^i)
///
/// Instead of one attention over d_model features, h heads each attend over their own d_h =
/// d_model / h features, so each can look for a different relation (one the previous word,
/// one the subject of the verb, …) at the same total cost. The h projections W_Q^i are stored
/// side by side as one [d, d] matrix: head i owns columns i·d_h ..< (i+1)·d_h, so one matmul
/// projects for all heads and `splitHeads` hands each head its slice.
///
/// Self-attention passes the same tensor as query and keyValue. Cross-attention passes the
/// decoder's states as query and the encoder's output as keyValue; the lengths may differ.
///
/// Llama-family models (SmolLM2) use two variations, both off unless built with
/// `init(query:key:value:output:heads:keyValueHeads:rotary:)` (MultiHeadAttention+GroupedQuery.swift):
/// grouped-query attention (fewer key/value heads than query heads, each shared by a group) and
/// rotary positions (q and k turned by their position before the scores are taken).
///
/// The shape comments in this module are written for a batch, (B, T, d); a single sequence
/// [T, d] works the same way without the B axis.
public struct MultiHeadAttention: Sendable {
    /// W_Q and b_Q: [d, d], [d].
    public let query: Linear
    /// W_K and b_K: [d, d], [d].
    public let key: Linear
    /// W_V and b_V: [d, d], [d].
    public let value: Linear
    /// W_O and b_O, which mixes the concatenated heads back into one d-vector: [d, d], [d].
    public let output: Linear
    /// h: the number of query heads (heads count from 0 in traces and outputs).
    public let heads: Int
    /// RoPE applied to the queries and keys of every head; nil (the default) for models that
    /// add positions to the input instead. Set only by the grouped-query initialiser.
    public internal(set) var rotary: RotaryPositionEmbedding?

    /// d_model: the width of the input and output vectors.
    public var modelDimension: Int { query.inputSize }
    /// d_h = d_model / h, the features each head works with.
    public var headDimension: Int { modelDimension / heads }
    /// Key/value heads: `heads` in plain multi-head attention, fewer in grouped-query attention
    /// (W_K and W_V are then [d, keyValueHeads · d_h]).
    public var keyValueHeads: Int { key.outputSize / headDimension }

    /// Random projections (see `Linear`), drawn in the order W_Q, W_K, W_V, W_O.
    /// Throws `TransformerError.invalidConfiguration` unless d_model and h are positive and
    /// h divides d_model.
    public init(modelDimension: Int, heads: Int, using generator: inout SeededGenerator) throws {
        try MultiHeadAttention.validate(modelDimension: modelDimension, heads: heads)
        query = Linear(inputSize: modelDimension, outputSize: modelDimension, using: &generator)
        key = Linear(inputSize: modelDimension, outputSize: modelDimension, using: &generator)
        value = Linear(inputSize: modelDimension, outputSize: modelDimension, using: &generator)
        output = Linear(inputSize: modelDimension, outputSize: modelDimension, using: &generator)
        self.heads = heads
    }

    /// Given projections; all four must map d_model → d_model.
    public init(query: Linear, key: Linear, value: Linear, output: Linear, heads: Int) throws {
        let d = query.inputSize
        try MultiHeadAttention.validate(modelDimension: d, heads: heads)
        for (name, layer) in [("query", query), ("key", key), ("value", value), ("output", output)]
        where layer.inputSize != d || layer.outputSize != d {
            throw TransformerError.invalidConfiguration(
                field: "MultiHeadAttention.\(name)",
                reason: "the projection must be [\(d), \(d)] (d_model × d_model), not \(layer.weight.shape)")
        }
        self.query = query
        self.key = key
        self.value = value
        self.output = output
        self.heads = heads
    }

    static func validate(modelDimension: Int, heads: Int) throws {
        guard modelDimension > 0 else {
            throw TransformerError.invalidConfiguration(
                field: "modelDimension", reason: "must be positive, not \(modelDimension)")
        }
        guard heads > 0 else {
            throw TransformerError.invalidConfiguration(field: "heads", reason: "must be positive, not \(heads)")
        }
        guard modelDimension % heads == 0 else {
            throw TransformerError.invalidConfiguration(
                field: "heads",
                reason: "modelDimension \(modelDimension) is not divisible by \(heads) heads "
                    + "(each head gets modelDimension / heads features)")
        }
    }

    /// Throws `TensorError.shapeMismatch` unless the query input and keyValue are both [T, d] or
    /// both [B, T, d] with the same B. Shared with the trainable twin (module Training).
    public static func checkInputs(query: [Int], keyValue: [Int], operation: String) throws {
        guard query.count == keyValue.count, query.count >= 2, query.dropLast(2) == keyValue.dropLast(2) else {
            throw TensorError.shapeMismatch(
                operation: "\(operation) (query and keyValue must both be [T, d] or both [B, T, d] with the same B)",
                lhs: query, rhs: keyValue)
        }
    }

    /// The mask as the scores [..., h, T_q, T_k] of rank `scoresRank` take it: an unbatched input
    /// may still come with a [1, 1, T_q, T_k] mask, so extra leading axes of length 1 are dropped.
    /// Shared with the trainable twin (module Training).
    public static func headMask(_ mask: Tensor?, scoresRank: Int) throws -> Tensor? {
        var headMask = mask
        while let m = headMask, m.rank > scoresRank, m.shape[0] == 1 {
            headMask = try m.reshaped(Array(m.shape.dropFirst()))
        }
        return headMask
    }

    /// Attention of `query` ([T_q, d] or [B, T_q, d]) over `keyValue` ([T_k, d] or [B, T_k, d]).
    ///
    /// - Parameter input: the queries' states, [T_q, d] or [B, T_q, d].
    /// - Parameter keyValue: the states the keys and values come from, [T_k, d] or [B, T_k, d]
    ///   (the same tensor as `input` for self-attention).
    /// - Parameter mask: 1 where a key is hidden. Any shape that broadcasts to the scores
    ///   [..., h, T_q, T_k]: [T_q, T_k] (causal), [B, 1, 1, T_k] (padding), [B, 1, T_q, T_k]
    ///   (both). Extra leading axes of length 1 are dropped, so a [1, 1, 1, T_k] padding mask
    ///   also fits unbatched input.
    /// - Returns: the output [..., T_q, d] and the weights [..., h, T_q, T_k].
    public func callAsFunction(query input: Tensor, keyValue: Tensor, mask: Tensor? = nil) throws -> MultiHeadOutput {
        try Self.checkInputs(query: input.shape, keyValue: keyValue.shape, operation: "MultiHeadAttention")
        // Project once for all heads, then give each head its slice of the features.
        var q = try query(input).splitHeads(heads)                // (B, T_q, d) -> (B, h, T_q, d_h)
        var k = try key(keyValue).splitHeads(keyValueHeads)       // (B, T_k, kv·d_h) -> (B, kv, T_k, d_h)
        var v = try value(keyValue).splitHeads(keyValueHeads)     // (B, T_k, kv·d_h) -> (B, kv, T_k, d_h)
        if let rotary {                                  // RoPE: turn q and k by their positions
            q = try rotary(q)                            // (B, h, T_q, d_h)
            k = try rotary(k)                            // (B, kv, T_k, d_h)
        }
        if keyValueHeads != heads {                      // grouped-query: query head i reads kv head i / group
            k = try k.repeatingHeads(heads / keyValueHeads)   // (B, kv, T_k, d_h) -> (B, h, T_k, d_h)
            v = try v.repeatingHeads(heads / keyValueHeads)   // (B, kv, T_k, d_h) -> (B, h, T_k, d_h)
        }

        // Every head at once: the batched matmul treats (B, h) as batch axes.
        let stages = try scaledDotProductAttention(query: q, key: k, value: v,
                                                   mask: Self.headMask(mask, scoresRank: q.rank))
        let concatenated = try stages.output.mergeHeads()   // (B, h, T_q, d_h) -> (B, T_q, d)
        let result = try output(concatenated)               // (B, T_q, d): W_O mixes the heads
        return MultiHeadOutput(output: result, weights: stages.weights, stages: stages)
    }

    /// Self-attention of one unmasked sequence x [T, d] when only the output is wanted (no trace,
    /// no figure): the same arithmetic as `callAsFunction(_:)` up to float rounding, but no stage
    /// is kept and no T × T matrix is made (`AttentionKernel`: blockwise online softmax, memory
    /// constant in T). The heads are split between threads in a fixed way above a size where
    /// that pays; each head's result is the same whoever computes it.
    public func selfAttentionOutput(_ x: Tensor) throws -> Tensor {
        guard x.rank == 2, x.shape[1] == modelDimension else {
            throw TensorError.invalidShape(operation: "MultiHeadAttention.selfAttentionOutput", shape: x.shape,
                                           reason: "expects one sequence [T, \(modelDimension)]")
        }
        let tokens = x.shape[0], d = modelDimension, dh = headDimension, heads = self.heads
        let q = try query(x), k = try key(x), v = try value(x)     // (T, d): head i owns columns i·d_h ..< (i+1)·d_h
        let scale = 1 / Float(dh).squareRoot()
        let threads = MatmulKernel.automaticThreads(m: tokens, n: tokens, k: d)
        let concatenated = [Float](unsafeUninitializedCapacity: tokens * d) { buffer, initialized in
            q.scalars.withUnsafeBufferPointer { qb in
                k.scalars.withUnsafeBufferPointer { kb in
                    v.scalars.withUnsafeBufferPointer { vb in
                        // nonisolated(unsafe): the buffers outlive `run`; q, k, v are only read
                        // and each worker writes only its own heads' columns of `out`.
                        nonisolated(unsafe) let qp = qb.baseAddress, kp = kb.baseAddress, vp = vb.baseAddress
                        nonisolated(unsafe) let out = buffer.baseAddress
                        guard let qp, let kp, let vp, let out else { return }
                        let workers = max(1, min(threads, heads, WorkerPool.shared.maximumWorkers))
                        WorkerPool.shared.run(workers: workers) { worker in
                            for head in stride(from: worker, to: heads, by: workers) {
                                AttentionKernel.attend(queries: tokens, keys: tokens, dimension: dh, scale: scale,
                                                       q: qp + head * dh, qStride: d, k: kp + head * dh, kStride: d,
                                                       v: vp + head * dh, vStride: d, out: out + head * dh, outStride: d)
                            }
                        }
                    }
                }
            }
            initialized = tokens * d
        }
        return try output(try Tensor(shape: [tokens, d], scalars: concatenated))
    }

    /// Self-attention: queries, keys and values all come from `x`.
    public func callAsFunction(_ x: Tensor, mask: Tensor? = nil) throws -> MultiHeadOutput {
        try callAsFunction(query: x, keyValue: x, mask: mask)
    }

    /// "query.weight", "query.bias", "key.…", "value.…", "output.…".
    public var parameters: [(name: String, tensor: Tensor)] {
        prefixed("query", query.parameters) + prefixed("key", key.parameters)
            + prefixed("value", value.parameters) + prefixed("output", output.parameters)
    }
}
