import TensorCore
import Transformer

// Trainable counterparts of the inference layers (Linear, LayerNorm, Embedding,
// MultiHeadAttention, FeedForward, EncoderLayer, DecoderLayer), built from `Variable` ops so
// that a loss can be differentiated with respect to every weight.
//
// Each layer computes exactly what its inference twin computes and registers its weights in a
// `ParameterCollection` under the same dotted names ("query.weight", "attentionNorm.gamma", …),
// so a trained model's `parameters.values` can be saved and loaded into the inference types.
// `inferenceLayer()` builds that inference twin from the current values.
//
// A trainable layer is always made from an inference layer (`TrainableLinear(Linear(…))`,
// `TrainableEncoderLayer(EncoderLayer(…))`), so sizes, checks and random initialisation are
// written once, in module Transformer; the stacks below draw their layers through
// `EncoderStack` and `DecoderStack`. What stays here is only what differs: the forward pass on
// `Variable`, and the parameter names a training loop updates.

extension ParameterCollection {
    /// Every child's parameters, each name prefixed with the child's name and a dot, in order: the
    /// names the inference twins give their weights with `prefixed` ("query.weight" of child
    /// "attention" is "attention.query.weight"). nil children (an absent bias or norm) are left out.
    static func naming(_ children: [(name: String, parameters: ParameterCollection?)]) throws -> ParameterCollection {
        var collection = ParameterCollection()
        for (name, parameters) in children {
            if let parameters { try collection.add(contentsOf: parameters, prefix: name + ".") }
        }
        return collection
    }
}

// MARK: Linear

/// y = x·W + b with W of shape [in, out] (as `Linear`). Parameters: "weight", "bias".
package struct TrainableLinear {
    package let weight: Variable
    package let bias: Variable?

    package var inputSize: Int { weight.shape[0] }
    package var outputSize: Int { weight.shape[1] }

    /// Starts from the values of an inference layer (e.g. loaded weights).
    package init(_ layer: Linear) {
        weight = Variable(layer.weight, name: "weight")
        bias = layer.bias.map { Variable($0, name: "bias") }
    }

    /// x [..., in] → [..., out].
    package func callAsFunction(_ x: Variable) throws -> Variable {
        let product = try x.matmul(weight)          // (..., out)
        guard let bias else { return product }
        return try product + bias                   // bias (out) broadcasts over every row
    }

    package var parameters: ParameterCollection {
        var collection = ParameterCollection()
        try! collection.add("weight", weight)
        if let bias { try! collection.add("bias", bias) }
        return collection
    }

    /// The inference `Linear` holding the current values.
    package func inferenceLayer() throws -> Linear {
        try Linear(weight: weight.value, bias: bias?.value)
    }
}

// MARK: LayerNorm

/// Layer normalisation over the last axis with learned γ ("gamma") and β ("beta").
package struct TrainableLayerNorm {
    package let gamma: Variable
    package let beta: Variable
    package let epsilon: Float

    package var size: Int { gamma.shape[0] }

    package init(_ layer: LayerNorm) {
        gamma = Variable(layer.gamma, name: "gamma")
        beta = Variable(layer.beta, name: "beta")
        epsilon = layer.epsilon
    }

    package func callAsFunction(_ x: Variable) throws -> Variable {
        try x.layerNorm(gamma: gamma, beta: beta, epsilon: epsilon)
    }

    package var parameters: ParameterCollection {
        var collection = ParameterCollection()
        try! collection.add("gamma", gamma)
        try! collection.add("beta", beta)
        return collection
    }

    package func inferenceLayer() throws -> LayerNorm {
        try LayerNorm(gamma: gamma.value, beta: beta.value, epsilon: epsilon)
    }
}

// MARK: Embedding

/// A [vocabulary, d] table looked up by token id ("weight"). The gradient of a lookup flows
/// back only into the rows that were used.
package struct TrainableEmbedding {
    package let weight: Variable

    package var vocabularySize: Int { weight.shape[0] }
    package var dimension: Int { weight.shape[1] }

    package init(_ layer: Embedding) {
        weight = Variable(layer.weight, name: "weight")
    }

    /// ids (T) → [T, d].
    package func lookup(_ ids: [Int]) throws -> Variable {
        try check(ids, sequence: nil)
        return try weight.gatherRows(ids)
    }

    /// A rectangular batch (B sequences of T ids) → [B, T, d].
    package func lookup(batch: [[Int]]) throws -> Variable {
        guard let length = batch.first?.count, length > 0 else {
            throw TransformerError.invalidInput(operation: "TrainableEmbedding.lookup(batch:)",
                                                reason: "the batch holds no tokens")
        }
        for (index, ids) in batch.enumerated() {
            guard ids.count == length else {
                throw TransformerError.invalidInput(
                    operation: "TrainableEmbedding.lookup(batch:)",
                    reason: "sequence \(index) has \(ids.count) ids but sequence 0 has \(length); pad them first")
            }
            try check(ids, sequence: index)
        }
        let rows = try weight.gatherRows(batch.flatMap { $0 })            // (B·T, d)
        return try rows.reshaped([batch.count, length, dimension])        // (B, T, d)
    }

    private func check(_ ids: [Int], sequence: Int?) throws {
        if let position = ids.firstIndex(where: { $0 < 0 || $0 >= vocabularySize }) {
            throw TransformerError.tokenOutOfRange(id: ids[position], sequence: sequence, position: position,
                                                   vocabularySize: vocabularySize)
        }
    }

    package var parameters: ParameterCollection {
        var collection = ParameterCollection()
        try! collection.add("weight", weight)
        return collection
    }

    package func inferenceLayer() throws -> Embedding {
        try Embedding(weight: weight.value)
    }

    /// The first hidden states of the trainable models, [B, T, d]: the rows of a rectangular
    /// batch × √d plus the sinusoidal positions (constants), the recipe of the inference models'
    /// `ModelInput.embedded` (Vaswani et al. 2017, §3.4 and §3.5).
    package func embeddedWithPositions(batch: [[Int]]) throws -> Variable {
        let rows = try lookup(batch: batch)                                                   // (B, T, d)
        let positions = sinusoidalPositionalEncoding(length: batch[0].count, dimension: dimension)   // (T, d)
        return try rows * Float(dimension).squareRoot() + Variable(positions, name: "positions")
    }
}

// MARK: Multi-head attention

/// What trainable attention returns: the output (differentiable) and, as plain tensors for
/// traces and figures, the attention weights of every head [B, h, T_q, T_k] (or [h, T_q, T_k])
/// and the queries and keys that made them, [B, h, T_q, d_h] and [B, h, T_k, d_h].
package struct TrainableAttentionOutput {
    package let output: Variable
    package let weights: Tensor
    package let queries: Tensor
    package let keys: Tensor

    /// The same attention with the layer's output in place of the attention's own (an encoder
    /// layer passes its sublayer's weights, queries and keys on).
    func replacingOutput(_ output: Variable) -> TrainableAttentionOutput {
        TrainableAttentionOutput(output: output, weights: weights, queries: queries, keys: keys)
    }
}

/// Multi-head attention (self or cross), as `MultiHeadAttention`:
///
///     Q = x·W_Q, K = m·W_K, V = m·W_V, split into h heads of d/h features
///     weights = softmax(maskedFill(Q·Kᵀ/√d_h, mask, −∞)),  heads = weights·V
///     output = concat(heads)·W_O
///
/// Parameters: "query.…", "key.…", "value.…", "output.…" (weight and bias each).
package struct TrainableMultiHeadAttention {
    package let query: TrainableLinear
    package let key: TrainableLinear
    package let value: TrainableLinear
    package let output: TrainableLinear
    package let heads: Int

    package var modelDimension: Int { query.inputSize }
    package var headDimension: Int { modelDimension / heads }

    /// Throws `TransformerError.invalidConfiguration` for grouped-query or rotary attention,
    /// which this twin does not compute.
    package init(_ layer: MultiHeadAttention) throws {
        guard layer.keyValueHeads == layer.heads, layer.rotary == nil else {
            throw TransformerError.invalidConfiguration(
                field: "TrainableMultiHeadAttention",
                reason: "grouped-query attention and rotary positions have no trainable twin yet")
        }
        query = TrainableLinear(layer.query)
        key = TrainableLinear(layer.key)
        value = TrainableLinear(layer.value)
        output = TrainableLinear(layer.output)
        heads = layer.heads
    }

    /// query input [B, T_q, d] (or [T_q, d]), keyValue [B, T_k, d] (or [T_k, d]); `mask` with
    /// 1 = hidden, broadcastable to the scores [B, h, T_q, T_k]: a causal mask [T_q, T_k], a
    /// padding mask [B, 1, 1, T_k] or both combined [B, 1, T_q, T_k].
    package func callAsFunction(query input: Variable, keyValue: Variable,
                               mask: Tensor? = nil) throws -> TrainableAttentionOutput {
        try MultiHeadAttention.checkInputs(query: input.shape, keyValue: keyValue.shape,
                                           operation: "TrainableMultiHeadAttention")
        let q = try query(input).splitHeads(heads)         // (B, h, T_q, d_h)
        let k = try key(keyValue).splitHeads(heads)        // (B, h, T_k, d_h)
        let v = try value(keyValue).splitHeads(heads)      // (B, h, T_k, d_h)
        var scores = try q.matmul(k.transposed()) / Float(headDimension).squareRoot()   // (B, h, T_q, T_k)
        if let m = try MultiHeadAttention.headMask(mask, scoresRank: scores.value.rank) {
            scores = try scores.maskedFill(m, with: -.infinity)
        }
        let weights = scores.softmax()                     // (B, h, T_q, T_k), rows sum to 1
        let mixed = try weights.matmul(v).mergeHeads()     // (B, h, T_q, d_h) -> (B, T_q, d)
        return TrainableAttentionOutput(output: try output(mixed), weights: weights.value,
                                        queries: q.value, keys: k.value)
    }

    /// Self-attention: queries, keys and values all from x.
    package func callAsFunction(_ x: Variable, mask: Tensor? = nil) throws -> TrainableAttentionOutput {
        try callAsFunction(query: x, keyValue: x, mask: mask)
    }

    package var parameters: ParameterCollection {
        try! .naming([("query", query.parameters), ("key", key.parameters), ("value", value.parameters),
                      ("output", output.parameters)])   // fixed, distinct names: cannot clash
    }

    package func inferenceLayer() throws -> MultiHeadAttention {
        try MultiHeadAttention(query: query.inferenceLayer(), key: key.inferenceLayer(),
                               value: value.inferenceLayer(), output: output.inferenceLayer(), heads: heads)
    }
}

// MARK: Feed-forward

/// contract(activation(expand(x))): [.., d] → [.., ff] → [.., d]. Parameters "expand.…", "contract.…".
package struct TrainableFeedForward {
    package let expand: TrainableLinear
    package let contract: TrainableLinear
    package let activation: Activation

    package init(_ layer: FeedForward) {
        expand = TrainableLinear(layer.expand)
        contract = TrainableLinear(layer.contract)
        activation = layer.activation
    }

    package func callAsFunction(_ x: Variable) throws -> Variable {
        let expanded = try expand(x)                                           // (B, T, ff)
        let hidden = activation == .relu ? expanded.relu() : expanded.gelu()   // (B, T, ff)
        return try contract(hidden)                                            // (B, T, d)
    }

    package var parameters: ParameterCollection {
        try! .naming([("expand", expand.parameters), ("contract", contract.parameters)])   // cannot clash
    }

    package func inferenceLayer() throws -> FeedForward {
        try FeedForward(expand: expand.inferenceLayer(), contract: contract.inferenceLayer(), activation: activation)
    }
}

// MARK: Residual wiring

// `NormPlacement.sublayerInput` and `residual` (Transformer/Residual.swift) wire pre- and post-norm
// for these layers too: one definition for `Tensor` and `Variable`.
extension TrainableLayerNorm: ResidualNorm {}

// MARK: Encoder layer

/// Self-attention and feed-forward, each in a residual connection with a layer norm placed as
/// `normPlacement` says (pre-norm by default, as `TransformerConfiguration.tiny`).
/// Parameters: "attention.…", "attentionNorm.…", "feedForward.…", "feedForwardNorm.…".
package struct TrainableEncoderLayer {
    package let attention: TrainableMultiHeadAttention
    package let attentionNorm: TrainableLayerNorm
    package let feedForward: TrainableFeedForward
    package let feedForwardNorm: TrainableLayerNorm
    package let normPlacement: NormPlacement

    package init(_ layer: EncoderLayer) throws {
        attention = try TrainableMultiHeadAttention(layer.attention)
        attentionNorm = TrainableLayerNorm(layer.attentionNorm)
        feedForward = TrainableFeedForward(layer.feedForward)
        feedForwardNorm = TrainableLayerNorm(layer.feedForwardNorm)
        normPlacement = layer.normPlacement
    }

    /// x [B, T, d] → (output [B, T, d], attention weights [B, h, T, T]). `mask`: usually the
    /// source padding mask [B, 1, 1, T] (1 = hidden).
    package func callAsFunction(_ x: Variable, mask: Tensor? = nil) throws -> TrainableAttentionOutput {
        let attended = try attention(normPlacement.sublayerInput(x, norm: attentionNorm), mask: mask)
        let h = try normPlacement.residual(x, attended.output, norm: attentionNorm)
        let transformed = try feedForward(normPlacement.sublayerInput(h, norm: feedForwardNorm))
        let output = try normPlacement.residual(h, transformed, norm: feedForwardNorm)
        return attended.replacingOutput(output)
    }

    package var parameters: ParameterCollection {
        try! .naming([("attention", attention.parameters), ("attentionNorm", attentionNorm.parameters),
                      ("feedForward", feedForward.parameters), ("feedForwardNorm", feedForwardNorm.parameters)])
    }

    package func inferenceLayer() throws -> EncoderLayer {
        try EncoderLayer(attention: attention.inferenceLayer(), attentionNorm: attentionNorm.inferenceLayer(),
                         feedForward: feedForward.inferenceLayer(), feedForwardNorm: feedForwardNorm.inferenceLayer(),
                         normPlacement: normPlacement)
    }
}

/// `configuration.layers` encoder layers and the final norm of a pre-norm stack, with the random
/// draws of `EncoderStack(configuration:using:)`: the trainable stacks start from the very
/// weights the inference stack would have.
func trainableEncoderStack(_ c: TransformerConfiguration, using generator: inout SeededGenerator) throws
    -> (layers: [TrainableEncoderLayer], finalNorm: TrainableLayerNorm?) {
    let stack = try EncoderStack(configuration: c, using: &generator)
    return (try stack.layers.map(TrainableEncoderLayer.init), stack.finalNorm.map(TrainableLayerNorm.init))
}

// MARK: Decoder layer

/// What a trainable decoder layer returns.
package struct TrainableDecoderLayerOutput {
    package let output: Variable
    /// Causal self-attention: weights [B, h, T, T], queries and keys.
    package let selfAttention: TrainableAttentionOutput
    /// Cross-attention over the encoder output: weights [B, h, T, S], queries and keys.
    package let crossAttention: TrainableAttentionOutput

    /// [B, h, T, T]
    package var selfAttentionWeights: Tensor { selfAttention.weights }
    /// [B, h, T, S]
    package var crossAttentionWeights: Tensor { crossAttention.weights }
}

/// Masked self-attention, cross-attention over the encoder output, feed-forward; each in a
/// residual connection with a layer norm placed as `normPlacement` says (pre-norm by default).
/// Parameters: "selfAttention.…", "selfAttentionNorm.…", "crossAttention.…",
/// "crossAttentionNorm.…", "feedForward.…", "feedForwardNorm.…".
package struct TrainableDecoderLayer {
    package let selfAttention: TrainableMultiHeadAttention
    package let selfAttentionNorm: TrainableLayerNorm
    package let crossAttention: TrainableMultiHeadAttention
    package let crossAttentionNorm: TrainableLayerNorm
    package let feedForward: TrainableFeedForward
    package let feedForwardNorm: TrainableLayerNorm
    package let normPlacement: NormPlacement

    /// From an inference layer, which must have cross-attention.
    package init(_ layer: DecoderLayer) throws {
        guard let cross = layer.crossAttention, let crossNorm = layer.crossAttentionNorm else {
            throw TransformerError.invalidConfiguration(
                field: "TrainableDecoderLayer.crossAttention",
                reason: "an encoder–decoder decoder layer needs cross-attention")
        }
        selfAttention = try TrainableMultiHeadAttention(layer.selfAttention)
        selfAttentionNorm = TrainableLayerNorm(layer.selfAttentionNorm)
        crossAttention = try TrainableMultiHeadAttention(cross)
        crossAttentionNorm = TrainableLayerNorm(crossNorm)
        feedForward = TrainableFeedForward(layer.feedForward)
        feedForwardNorm = TrainableLayerNorm(layer.feedForwardNorm)
        normPlacement = layer.normPlacement
    }

    /// x [B, T, d], memory (the encoder output) [B, S, d] → [B, T, d].
    /// selfMask: causal [T, T] or causal+padding [B, 1, T, T]; memoryMask: source padding [B, 1, 1, S].
    package func callAsFunction(_ x: Variable, memory: Variable, selfMask: Tensor?,
                               memoryMask: Tensor?) throws -> TrainableDecoderLayerOutput {
        let attended = try selfAttention(normPlacement.sublayerInput(x, norm: selfAttentionNorm),
                                         mask: selfMask)
        var h = try normPlacement.residual(x, attended.output, norm: selfAttentionNorm)
        let crossed = try crossAttention(query: normPlacement.sublayerInput(h, norm: crossAttentionNorm),
                                         keyValue: memory, mask: memoryMask)
        h = try normPlacement.residual(h, crossed.output, norm: crossAttentionNorm)
        let transformed = try feedForward(normPlacement.sublayerInput(h, norm: feedForwardNorm))
        let output = try normPlacement.residual(h, transformed, norm: feedForwardNorm)
        return TrainableDecoderLayerOutput(output: output, selfAttention: attended, crossAttention: crossed)
    }

    package var parameters: ParameterCollection {
        try! .naming([("selfAttention", selfAttention.parameters), ("selfAttentionNorm", selfAttentionNorm.parameters),
                      ("crossAttention", crossAttention.parameters), ("crossAttentionNorm", crossAttentionNorm.parameters),
                      ("feedForward", feedForward.parameters), ("feedForwardNorm", feedForwardNorm.parameters)])
    }

    package func inferenceLayer() throws -> DecoderLayer {
        try DecoderLayer(selfAttention: selfAttention.inferenceLayer(),
                         selfAttentionNorm: selfAttentionNorm.inferenceLayer(),
                         crossAttention: crossAttention.inferenceLayer(),
                         crossAttentionNorm: crossAttentionNorm.inferenceLayer(),
                         feedForward: feedForward.inferenceLayer(), feedForwardNorm: feedForwardNorm.inferenceLayer(),
                         normPlacement: normPlacement)
    }
}

/// `configuration.layers` decoder layers with cross-attention and the final norm of a pre-norm
/// stack, with the random draws of `DecoderStack(configuration:crossAttention: true, using:)`.
func trainableDecoderStack(_ c: TransformerConfiguration, using generator: inout SeededGenerator) throws
    -> (layers: [TrainableDecoderLayer], finalNorm: TrainableLayerNorm?) {
    let stack = try DecoderStack(configuration: c, crossAttention: true, using: &generator)
    return (try stack.layers.map(TrainableDecoderLayer.init), stack.finalNorm.map(TrainableLayerNorm.init))
}
