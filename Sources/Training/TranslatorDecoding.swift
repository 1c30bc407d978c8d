import TensorCore
import Transformer

// The encoder–decoder in motion (lesson 7): decode one token at a time and record what happened at
// every step, so a lesson can print it and a figure can draw it.
//
// At inference there is no target to shift right: the decoder input starts as [<s>], the model
// predicts the next token, that token is appended, and the loop repeats until </s>. Two ways to
// run that loop give the same numbers:
//
// - full prefix: run the whole decoder on [<s>, y₁, …, y_t] at every step and keep only the last
//   row of logits (what `TrainableSeq2Seq.greedyDecode` does: simple, O(T²) decoder work);
// - `IncrementalDecoder`: encode the source once, keep every decoder layer's past keys and
//   values (the KV cache) and the cross-attention keys/values of the encoder output, and push
//   only the newest token through the layers. Earlier positions cannot see later ones (the
//   causal mask), so their keys and values never change once computed: caching them is exact.

/// One candidate next token and its probability.
public struct TokenProbability: Sendable, Equatable {
    /// The token's id in the target vocabulary.
    public let id: Int
    /// Its probability after softmax, 0…1.
    public let probability: Float

    /// A candidate from its id and probability.
    public init(id: Int, probability: Float) {
        self.id = id
        self.probability = probability
    }
}

/// What the decoder did at one step of step-by-step decoding.
public struct DecodingStep: Sendable {
    /// The decoder input at this step: the start id and every token chosen so far. The step
    /// predicts the token that follows the last one.
    public let decoderInput: [Int]
    /// The next-token distribution of the model (softmax of `logits`, temperature 1).
    public let probabilities: [Float]
    /// The raw logits, one per target-vocabulary id.
    public let logits: [Float]
    /// The most likely next tokens, most likely first (ties: lower id first).
    public let topTokens: [TokenProbability]
    /// The token chosen at this step (the argmax for greedy decoding; may be the end id).
    public let chosenID: Int
    /// The sampling stages when the token was sampled (nil for greedy decoding).
    public let sampling: SamplingStep?
    /// Cross-attention of this step's query over the source tokens in the last decoder layer,
    /// averaged over the heads: one weight per source token, summing to 1.
    public let crossAttention: [Float]
    /// The same row for each head of the last layer: [heads][source length].
    public let crossAttentionPerHead: [[Float]]

    /// The position in the decoder input this step's prediction comes from.
    public var position: Int { decoderInput.count - 1 }
}

/// A whole step-by-step decode: the steps in order and the tokens that came out.
public struct DecodingTrace: Sendable {
    /// The source sentence's ids, as the encoder read them.
    public let source: [Int]
    /// The id the decoder started from ("<s>").
    public let startID: Int
    /// The id that ends decoding ("</s>").
    public let endID: Int
    /// One step per generated token, in order (the last one chose `endID` when `reachedEnd`).
    public let steps: [DecodingStep]
    /// The generated tokens without the start and the end id.
    public let output: [Int]
    /// True if decoding stopped at the end id (false: `maxLength` ran out).
    public let reachedEnd: Bool

    /// [steps][source length]: row t is what decoder position t looked at in the source (last
    /// layer, mean over heads); the matrix the shifted-right diagram and the alignment heatmap draw.
    public var crossAttentionMatrix: [[Float]] { steps.map(\.crossAttention) }

    /// The decoder input of the last step plus the token it chose: [<s>, y₁, …, yₙ, (</s>)].
    public var decoderInputAndFinalToken: [Int] {
        guard let last = steps.last else { return [startID] }
        return last.decoderInput + [last.chosenID]
    }
}

/// What one `IncrementalDecoder.step` returns.
package struct IncrementalDecoderOutput: Sendable {
    /// Logits for the token after the one just pushed: one per target-vocabulary id.
    package let logits: [Float]
    /// The new position's cross-attention weights in every decoder layer: [layers] of [heads, S].
    package let crossAttention: [Tensor]
    /// The new position's self-attention weights in every decoder layer: [layers] of
    /// [heads, position + 1] (it sees itself and everything before it, nothing after).
    package let selfAttention: [Tensor]
}

/// Decodes one token at a time with a KV cache: the encoder runs once, each decoder layer keeps
/// the keys and values of every position pushed so far, and `step` computes only the newest
/// position. Gives the same logits as running the decoder on the whole prefix (to float rounding).
///
///     var decoder = try IncrementalDecoder(model: model, source: sourceIDs)
///     var next = startID
///     while … {
///         let logits = try decoder.step(next).logits      // (V)
///         next = try greedyTokenID(logits)
///     }
package struct IncrementalDecoder {
    package let model: TrainableSeq2Seq
    package let source: [Int]
    /// The encoder output [1, S, d].
    package let memory: Tensor
    /// Per decoder layer: the cross-attention keys and values of the encoder output, computed once,
    /// each [1, h, S, d_h].
    private let crossKeys: [Tensor]
    private let crossValues: [Tensor]
    /// Per decoder layer: the self-attention keys and values of every position so far,
    /// each [1, h, t, d_h] (nil before the first step).
    private var selfKeys: [Tensor?]
    private var selfValues: [Tensor?]
    /// The tokens pushed so far (the decoder input).
    package private(set) var tokens: [Int] = []

    package init(model: TrainableSeq2Seq, source: [Int]) throws {
        guard !source.isEmpty else {
            throw TransformerError.invalidInput(operation: "IncrementalDecoder", reason: "the source holds no tokens")
        }
        self.model = model
        self.source = source
        let (memory, _) = try model.encode(paddedSource: [source], padID: -1)           // (1, S, d), nothing padded
        self.memory = memory.value
        var keys: [Tensor] = [], values: [Tensor] = []
        for layer in model.decoderLayers {
            let heads = layer.crossAttention.heads
            keys.append(try layer.crossAttention.key(memory).splitHeads(heads).value)       // (1, h, S, d_h)
            values.append(try layer.crossAttention.value(memory).splitHeads(heads).value)   // (1, h, S, d_h)
        }
        crossKeys = keys
        crossValues = values
        selfKeys = Array(repeating: nil, count: model.decoderLayers.count)
        selfValues = Array(repeating: nil, count: model.decoderLayers.count)
    }

    /// Pushes one token (the start id first, then each chosen token) and returns the logits for
    /// the token after it.
    package mutating func step(_ token: Int) throws -> IncrementalDecoderOutput {
        let d = model.configuration.modelDimension
        let position = tokens.count
        // The same embedding as `TrainableSeq2Seq.embed`: row × √d + the sinusoid of this position.
        let row = try model.targetEmbedding.lookup(batch: [[token]])                     // (1, 1, d)
        let positions = try sinusoidalPositionalEncoding(length: position + 1, dimension: d)
            .slice(axis: 0, range: position..<(position + 1))                             // (1, d)
        var h = try row * Float(d).squareRoot() + Variable(positions)                    // (1, 1, d)
        var crossWeights: [Tensor] = [], selfWeights: [Tensor] = []
        for (index, layer) in model.decoderLayers.enumerated() {
            let placement = layer.normPlacement
            // Masked self-attention: the new query against every cached key plus its own.
            let attention = layer.selfAttention
            let heads = attention.heads
            let x = try placement.sublayerInput(h, norm: layer.selfAttentionNorm)
            let q = try attention.query(x).splitHeads(heads)                              // (1, h, 1, d_h)
            let kNew = try attention.key(x).splitHeads(heads).value                       // (1, h, 1, d_h)
            let vNew = try attention.value(x).splitHeads(heads).value
            let k = try selfKeys[index].map { try Tensor.concatenate([$0, kNew], axis: 2) } ?? kNew   // (1, h, t+1, d_h)
            let v = try selfValues[index].map { try Tensor.concatenate([$0, vNew], axis: 2) } ?? vNew
            selfKeys[index] = k
            selfValues[index] = v
            let attended = try Self.attend(q, keys: k, values: v, heads: heads, output: attention.output)
            h = try placement.residual(h, attended.output, norm: layer.selfAttentionNorm)
            selfWeights.append(attended.weights)
            // Cross-attention: the new query against the cached encoder keys and values.
            let cross = layer.crossAttention
            let c = try placement.sublayerInput(h, norm: layer.crossAttentionNorm)
            let cq = try cross.query(c).splitHeads(cross.heads)                           // (1, h, 1, d_h)
            let crossed = try Self.attend(cq, keys: crossKeys[index], values: crossValues[index],
                                          heads: cross.heads, output: cross.output)
            h = try placement.residual(h, crossed.output, norm: layer.crossAttentionNorm)
            crossWeights.append(crossed.weights)
            // Feed-forward.
            let f = try layer.feedForward(placement.sublayerInput(h, norm: layer.feedForwardNorm))
            h = try placement.residual(h, f, norm: layer.feedForwardNorm)         // (1, 1, d)
        }
        if let norm = model.decoderFinalNorm { h = try norm(h) }
        let logits = try model.outputProjection.map { try $0(h) }
            ?? h.matmul(model.targetEmbedding.weight.transposed())                        // (1, 1, V)
        tokens.append(token)
        return IncrementalDecoderOutput(logits: logits.value.scalars, crossAttention: crossWeights,
                                        selfAttention: selfWeights)
    }

    /// softmax(q·Kᵀ/√d_h)·V for one query position, merged and projected: output (1, 1, d),
    /// weights [h, T_k]. No mask: every cached key is at or before the query.
    private static func attend(_ q: Variable, keys: Tensor, values: Tensor, heads: Int,
                               output: TrainableLinear) throws -> (output: Variable, weights: Tensor) {
        let headDimension = q.shape[q.shape.count - 1]
        let scores = try q.matmul(Variable(keys).transposed()) / Float(headDimension).squareRoot()   // (1, h, 1, T_k)
        let weights = scores.softmax()                                                    // rows sum to 1
        let mixed = try weights.matmul(Variable(values)).mergeHeads()                     // (1, 1, d)
        let keyCount = keys.shape[2]
        return (try output(mixed), try weights.value.reshaped([heads, keyCount]))
    }
}

extension TrainableSeq2Seq {
    /// Step-by-step decoding with a KV cache (`IncrementalDecoder`), recording every step: the
    /// decoder input so far, the `topK` most likely next tokens, the chosen token, and the
    /// cross-attention of the step over the source (last layer, mean and per head).
    ///
    /// `.greedy` takes the argmax at every step (the same tokens as `greedyDecode`);
    /// `.sample(options)` draws each token with a `Sampler` seeded by `options.seed`. Stops after
    /// the end id or `maxLength` generated tokens.
    ///
    ///     let trace = try model.decodeStepByStep(source: ids, startID: 1, endID: 2, maxLength: 20)
    ///     trace.output                       // the translation's ids
    ///     trace.steps[0].topTokens           // what the model considered first
    package func decodeStepByStep(source: [Int], startID: Int, endID: Int, maxLength: Int,
                                 strategy: SamplingStrategy = .greedy, topK: Int = 5) throws -> DecodingTrace {
        let operation = "TrainableSeq2Seq.decodeStepByStep"
        guard maxLength >= 0 else {
            throw TransformerError.invalidInput(operation: operation, reason: "maxLength must be ≥ 0 (got \(maxLength))")
        }
        guard topK >= 1 else {
            throw TransformerError.invalidInput(operation: operation, reason: "topK must be at least 1 (got \(topK))")
        }
        var sampler: Sampler?
        if case let .sample(options) = strategy { sampler = try Sampler(options: options) }
        var decoder = try IncrementalDecoder(model: self, source: source)
        var input = [startID]
        var output: [Int] = []
        var steps: [DecodingStep] = []
        var reachedEnd = false
        while output.count < maxLength {
            let result = try decoder.step(input[input.count - 1])
            let probabilities = try softmax(result.logits)
            let top = rankedTokenIDs(probabilities).prefix(topK).map {
                TokenProbability(id: $0, probability: probabilities[$0])
            }
            var sampled: SamplingStep?
            let chosen: Int
            if sampler != nil {
                let step = try sampler!.sample(logits: result.logits)
                sampled = step
                chosen = step.id
            } else {
                chosen = try greedyTokenID(result.logits)
            }
            let perHead = result.crossAttention[result.crossAttention.count - 1].rows   // [h][S]
            let mean = (0..<source.count).map { s in
                perHead.reduce(Float(0)) { $0 + $1[s] } / Float(perHead.count)
            }
            steps.append(DecodingStep(decoderInput: input, probabilities: probabilities, logits: result.logits,
                                      topTokens: top, chosenID: chosen, sampling: sampled,
                                      crossAttention: mean, crossAttentionPerHead: perHead))
            if chosen == endID { reachedEnd = true; break }
            output.append(chosen)
            input.append(chosen)
        }
        return DecodingTrace(source: source, startID: startID, endID: endID, steps: steps, output: output,
                             reachedEnd: reachedEnd)
    }

    /// Translation by sampling: like `greedyDecode` but each token is drawn with a `Sampler`
    /// (temperature, top-k, top-p, seed from `options`). Returns the generated ids without the
    /// start and end ids; the same options give the same ids.
    package func sampleDecode(source: [Int], startID: Int, endID: Int, maxLength: Int,
                             options: SamplingOptions) throws -> [Int] {
        try decodeStepByStep(source: source, startID: startID, endID: endID, maxLength: maxLength,
                             strategy: .sample(options), topK: 1).output
    }

    /// The logits of every position when the decoder runs on the whole `decoderInput` at once:
    /// [T][V]. Row t is what step t of step-by-step decoding sees (the check for the KV cache).
    package func fullPrefixLogits(source: [Int], decoderInput: [Int]) throws -> [[Float]] {
        let logits = try logits(sourceBatch: [source], decoderInputBatch: [decoderInput], padID: -1)   // (1, T, V)
        let v = logits.shape[2]
        return (0..<decoderInput.count).map { Array(logits.value.scalars[($0 * v)..<(($0 + 1) * v)]) }
    }
}

extension Translator {
    /// Translates one tokenised sentence greedily or by sampling (at most `maxLength` tokens).
    ///
    ///     try translator.translate(["我", "是", "学生"], strategy: .sample(SamplingOptions(temperature: 0.7, seed: 1)))
    public func translate(_ source: [String], strategy: SamplingStrategy, maxLength: Int = 32) throws -> [String] {
        try decodingTrace(source, strategy: strategy, maxLength: maxLength).output.map { targetVocabulary[$0] }
    }

    /// Step-by-step decoding of one tokenised sentence (see `TrainableSeq2Seq.decodeStepByStep`).
    public func decodingTrace(_ source: [String], strategy: SamplingStrategy = .greedy, maxLength: Int = 32,
                              topK: Int = 5) throws -> DecodingTrace {
        try model.decodeStepByStep(source: sourceIDs(source), startID: startID, endID: endID, maxLength: maxLength,
                                   strategy: strategy, topK: topK)
    }

    /// A target id as its token ("<s>", "I", …), or "#id" outside the vocabulary.
    public func targetToken(_ id: Int) -> String {
        targetVocabulary.indices.contains(id) ? targetVocabulary[id] : "#\(id)"
    }
}
