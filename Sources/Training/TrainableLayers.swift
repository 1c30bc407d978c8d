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

// MARK: Linear

/// y = x·W + b with W of shape [in, out] (as `Linear`). Parameters: "weight", "bias".
public struct TrainableLinear: Sendable {
    public let weight: Variable
    public let bias: Variable?

    public var inputSize: Int { weight.shape[0] }
    public var outputSize: Int { weight.shape[1] }

    /// Random weights with standard deviation 1/√in and a zero bias, as `Linear`.
    public init(inputSize: Int, outputSize: Int, bias: Bool = true, using generator: inout SeededGenerator) {
        let layer = Linear(inputSize: inputSize, outputSize: outputSize, bias: bias, using: &generator)
        self.init(layer)
    }

    /// Starts from the values of an inference layer (e.g. loaded weights).
    public init(_ layer: Linear) {
        weight = Variable(layer.weight, name: "weight")
        bias = layer.bias.map { Variable($0, name: "bias") }
    }

    /// x [..., in] → [..., out].
    public func callAsFunction(_ x: Variable) throws -> Variable {
        let product = try x.matmul(weight)          // (..., out)
        guard let bias else { return product }
        return try product + bias                   // bias (out) broadcasts over every row
    }

    public var parameters: ParameterCollection {
        var collection = ParameterCollection()
        try! collection.add("weight", weight)
        if let bias { try! collection.add("bias", bias) }
        return collection
    }

    /// The inference `Linear` holding the current values.
    public func inferenceLayer() throws -> Linear {
        try Linear(weight: weight.value, bias: bias?.value)
    }
}

// MARK: LayerNorm

/// Layer normalisation over the last axis with learned γ ("gamma") and β ("beta").
public struct TrainableLayerNorm: Sendable {
    public let gamma: Variable
    public let beta: Variable
    public let epsilon: Float

    public var size: Int { gamma.shape[0] }

    /// γ = 1, β = 0, as `LayerNorm`.
    public init(size: Int, epsilon: Float = 1e-5) {
        self.init(LayerNorm(size: size, epsilon: epsilon))
    }

    public init(_ layer: LayerNorm) {
        gamma = Variable(layer.gamma, name: "gamma")
        beta = Variable(layer.beta, name: "beta")
        epsilon = layer.epsilon
    }

    public func callAsFunction(_ x: Variable) throws -> Variable {
        try x.layerNorm(gamma: gamma, beta: beta, epsilon: epsilon)
    }

    public var parameters: ParameterCollection {
        var collection = ParameterCollection()
        try! collection.add("gamma", gamma)
        try! collection.add("beta", beta)
        return collection
    }

    public func inferenceLayer() throws -> LayerNorm {
        try LayerNorm(gamma: gamma.value, beta: beta.value, epsilon: epsilon)
    }
}

// MARK: Embedding

/// A [vocabulary, d] table looked up by token id ("weight"). The gradient of a lookup flows
/// back only into the rows that were used.
public struct TrainableEmbedding: Sendable {
    public let weight: Variable

    public var vocabularySize: Int { weight.shape[0] }
    public var dimension: Int { weight.shape[1] }

    /// Rows with standard deviation 1/√d, as `Embedding`.
    public init(vocabularySize: Int, dimension: Int, using generator: inout SeededGenerator) {
        self.init(Embedding(vocabularySize: vocabularySize, dimension: dimension, using: &generator))
    }

    public init(_ layer: Embedding) {
        weight = Variable(layer.weight, name: "weight")
    }

    /// ids (T) → [T, d].
    public func lookup(_ ids: [Int]) throws -> Variable {
        try check(ids, sequence: nil)
        return try weight.gatherRows(ids)
    }

    /// A rectangular batch (B sequences of T ids) → [B, T, d].
    public func lookup(batch: [[Int]]) throws -> Variable {
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

    public var parameters: ParameterCollection {
        var collection = ParameterCollection()
        try! collection.add("weight", weight)
        return collection
    }

    public func inferenceLayer() throws -> Embedding {
        try Embedding(weight: weight.value)
    }
}

// MARK: Multi-head attention

/// What trainable attention returns: the output (differentiable) and, as plain tensors for
/// traces and figures, the attention weights of every head [B, h, T_q, T_k] (or [h, T_q, T_k])
/// and the queries and keys that made them, [B, h, T_q, d_h] and [B, h, T_k, d_h].
public struct TrainableAttentionOutput: Sendable {
    public let output: Variable
    public let weights: Tensor
    public let queries: Tensor
    public let keys: Tensor

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
public struct TrainableMultiHeadAttention: Sendable {
    public let query: TrainableLinear
    public let key: TrainableLinear
    public let value: TrainableLinear
    public let output: TrainableLinear
    public let heads: Int

    public var modelDimension: Int { query.inputSize }
    public var headDimension: Int { modelDimension / heads }

    public init(modelDimension: Int, heads: Int, using generator: inout SeededGenerator) throws {
        try self.init(MultiHeadAttention(modelDimension: modelDimension, heads: heads, using: &generator))
    }

    /// Throws `TransformerError.invalidConfiguration` for grouped-query or rotary attention,
    /// which this twin does not compute.
    public init(_ layer: MultiHeadAttention) throws {
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
    public func callAsFunction(query input: Variable, keyValue: Variable,
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
    public func callAsFunction(_ x: Variable, mask: Tensor? = nil) throws -> TrainableAttentionOutput {
        try callAsFunction(query: x, keyValue: x, mask: mask)
    }

    public var parameters: ParameterCollection {
        var collection = ParameterCollection()
        try! collection.add(contentsOf: query.parameters, prefix: "query.")
        try! collection.add(contentsOf: key.parameters, prefix: "key.")
        try! collection.add(contentsOf: value.parameters, prefix: "value.")
        try! collection.add(contentsOf: output.parameters, prefix: "output.")
        return collection
    }

    public func inferenceLayer() throws -> MultiHeadAttention {
        try MultiHeadAttention(query: query.inferenceLayer(), key: key.inferenceLayer(),
                               value: value.inferenceLayer(), output: output.inferenceLayer(), heads: heads)
    }
}

// MARK: Feed-forward

/// contract(activation(expand(x))): [.., d] → [.., ff] → [.., d]. Parameters "expand.…", "contract.…".
public struct TrainableFeedForward: Sendable {
    public let expand: TrainableLinear
    public let contract: TrainableLinear
    public let activation: Activation

    public init(modelDimension: Int, hiddenDimension: Int, activation: Activation = .gelu,
                using generator: inout SeededGenerator) {
        self.init(FeedForward(modelDimension: modelDimension, hiddenDimension: hiddenDimension,
                              activation: activation, using: &generator))
    }

    public init(_ layer: FeedForward) {
        expand = TrainableLinear(layer.expand)
        contract = TrainableLinear(layer.contract)
        activation = layer.activation
    }

    public func callAsFunction(_ x: Variable) throws -> Variable {
        let expanded = try expand(x)                                           // (B, T, ff)
        let hidden = activation == .relu ? expanded.relu() : expanded.gelu()   // (B, T, ff)
        return try contract(hidden)                                            // (B, T, d)
    }

    public var parameters: ParameterCollection {
        var collection = ParameterCollection()
        try! collection.add(contentsOf: expand.parameters, prefix: "expand.")
        try! collection.add(contentsOf: contract.parameters, prefix: "contract.")
        return collection
    }

    public func inferenceLayer() throws -> FeedForward {
        try FeedForward(expand: expand.inferenceLayer(), contract: contract.inferenceLayer(), activation: activation)
    }
}

// MARK: Residual wiring

extension NormPlacement {
    /// pre-norm: the sublayer reads LN(x); post-norm: it reads x.
    func trainableSublayerInput(_ x: Variable, norm: TrainableLayerNorm) throws -> Variable {
        switch self {
        case .pre: return try norm(x)
        case .post: return x
        }
    }

    /// pre-norm: x + Sublayer(LN(x)); post-norm: LN(x + Sublayer(x)).
    func trainableResidual(_ x: Variable, _ sublayerOutput: Variable, norm: TrainableLayerNorm) throws -> Variable {
        switch self {
        case .pre: return try x + sublayerOutput
        case .post: return try norm(x + sublayerOutput)
        }
    }
}

// MARK: Encoder layer

/// Self-attention and feed-forward, each in a residual connection with a layer norm placed as
/// `normPlacement` says (pre-norm by default, as `TransformerConfiguration.tiny`).
/// Parameters: "attention.…", "attentionNorm.…", "feedForward.…", "feedForwardNorm.…".
public struct TrainableEncoderLayer: Sendable {
    public let attention: TrainableMultiHeadAttention
    public let attentionNorm: TrainableLayerNorm
    public let feedForward: TrainableFeedForward
    public let feedForwardNorm: TrainableLayerNorm
    public let normPlacement: NormPlacement

    public init(modelDimension: Int, heads: Int, feedForwardDimension: Int, activation: Activation = .gelu,
                normPlacement: NormPlacement = .pre, using generator: inout SeededGenerator) throws {
        try self.init(EncoderLayer(modelDimension: modelDimension, heads: heads,
                                   feedForwardDimension: feedForwardDimension, activation: activation,
                                   normPlacement: normPlacement, using: &generator))
    }

    public init(_ layer: EncoderLayer) throws {
        attention = try TrainableMultiHeadAttention(layer.attention)
        attentionNorm = TrainableLayerNorm(layer.attentionNorm)
        feedForward = TrainableFeedForward(layer.feedForward)
        feedForwardNorm = TrainableLayerNorm(layer.feedForwardNorm)
        normPlacement = layer.normPlacement
    }

    /// x [B, T, d] → (output [B, T, d], attention weights [B, h, T, T]). `mask`: usually the
    /// source padding mask [B, 1, 1, T] (1 = hidden).
    public func callAsFunction(_ x: Variable, mask: Tensor? = nil) throws -> TrainableAttentionOutput {
        let attended = try attention(normPlacement.trainableSublayerInput(x, norm: attentionNorm), mask: mask)
        let h = try normPlacement.trainableResidual(x, attended.output, norm: attentionNorm)
        let transformed = try feedForward(normPlacement.trainableSublayerInput(h, norm: feedForwardNorm))
        let output = try normPlacement.trainableResidual(h, transformed, norm: feedForwardNorm)
        return attended.replacingOutput(output)
    }

    public var parameters: ParameterCollection {
        var collection = ParameterCollection()
        try! collection.add(contentsOf: attention.parameters, prefix: "attention.")
        try! collection.add(contentsOf: attentionNorm.parameters, prefix: "attentionNorm.")
        try! collection.add(contentsOf: feedForward.parameters, prefix: "feedForward.")
        try! collection.add(contentsOf: feedForwardNorm.parameters, prefix: "feedForwardNorm.")
        return collection
    }

    public func inferenceLayer() throws -> EncoderLayer {
        try EncoderLayer(attention: attention.inferenceLayer(), attentionNorm: attentionNorm.inferenceLayer(),
                         feedForward: feedForward.inferenceLayer(), feedForwardNorm: feedForwardNorm.inferenceLayer(),
                         normPlacement: normPlacement)
    }
}

// MARK: Decoder layer

/// What a trainable decoder layer returns.
public struct TrainableDecoderLayerOutput: Sendable {
    public let output: Variable
    /// Causal self-attention: weights [B, h, T, T], queries and keys.
    public let selfAttention: TrainableAttentionOutput
    /// Cross-attention over the encoder output: weights [B, h, T, S], queries and keys.
    public let crossAttention: TrainableAttentionOutput

    /// [B, h, T, T]
    public var selfAttentionWeights: Tensor { selfAttention.weights }
    /// [B, h, T, S]
    public var crossAttentionWeights: Tensor { crossAttention.weights }
}

/// Masked self-attention, cross-attention over the encoder output, feed-forward; each in a
/// residual connection with a layer norm placed as `normPlacement` says (pre-norm by default).
/// Parameters: "selfAttention.…", "selfAttentionNorm.…", "crossAttention.…",
/// "crossAttentionNorm.…", "feedForward.…", "feedForwardNorm.…".
public struct TrainableDecoderLayer: Sendable {
    public let selfAttention: TrainableMultiHeadAttention
    public let selfAttentionNorm: TrainableLayerNorm
    public let crossAttention: TrainableMultiHeadAttention
    public let crossAttentionNorm: TrainableLayerNorm
    public let feedForward: TrainableFeedForward
    public let feedForwardNorm: TrainableLayerNorm
    public let normPlacement: NormPlacement

    public init(modelDimension: Int, heads: Int, feedForwardDimension: Int, activation: Activation = .gelu,
                normPlacement: NormPlacement = .pre, using generator: inout SeededGenerator) throws {
        try self.init(DecoderLayer(modelDimension: modelDimension, heads: heads,
                                   feedForwardDimension: feedForwardDimension, activation: activation,
                                   normPlacement: normPlacement, crossAttention: true, using: &generator))
    }

    /// From an inference layer, which must have cross-attention.
    public init(_ layer: DecoderLayer) throws {
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
    public func callAsFunction(_ x: Variable, memory: Variable, selfMask: Tensor?,
                               memoryMask: Tensor?) throws -> TrainableDecoderLayerOutput {
        let attended = try selfAttention(normPlacement.trainableSublayerInput(x, norm: selfAttentionNorm),
                                         mask: selfMask)
        var h = try normPlacement.trainableResidual(x, attended.output, norm: selfAttentionNorm)
        let crossed = try crossAttention(query: normPlacement.trainableSublayerInput(h, norm: crossAttentionNorm),
                                         keyValue: memory, mask: memoryMask)
        h = try normPlacement.trainableResidual(h, crossed.output, norm: crossAttentionNorm)
        let transformed = try feedForward(normPlacement.trainableSublayerInput(h, norm: feedForwardNorm))
        let output = try normPlacement.trainableResidual(h, transformed, norm: feedForwardNorm)
        return TrainableDecoderLayerOutput(output: output, selfAttention: attended, crossAttention: crossed)
    }

    public var parameters: ParameterCollection {
        var collection = ParameterCollection()
        try! collection.add(contentsOf: selfAttention.parameters, prefix: "selfAttention.")
        try! collection.add(contentsOf: selfAttentionNorm.parameters, prefix: "selfAttentionNorm.")
        try! collection.add(contentsOf: crossAttention.parameters, prefix: "crossAttention.")
        try! collection.add(contentsOf: crossAttentionNorm.parameters, prefix: "crossAttentionNorm.")
        try! collection.add(contentsOf: feedForward.parameters, prefix: "feedForward.")
        try! collection.add(contentsOf: feedForwardNorm.parameters, prefix: "feedForwardNorm.")
        return collection
    }

    public func inferenceLayer() throws -> DecoderLayer {
        try DecoderLayer(selfAttention: selfAttention.inferenceLayer(),
                         selfAttentionNorm: selfAttentionNorm.inferenceLayer(),
                         crossAttention: crossAttention.inferenceLayer(),
                         crossAttentionNorm: crossAttentionNorm.inferenceLayer(),
                         feedForward: feedForward.inferenceLayer(), feedForwardNorm: feedForwardNorm.inferenceLayer(),
                         normPlacement: normPlacement)
    }
}
