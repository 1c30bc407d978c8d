import Foundation
import Testing
import TensorCore
import Training
@testable import Transformer

// The Llama pieces (RMSNorm, RoPE, SwiGLU, grouped-query attention) against values worked out
// by hand, and the properties the lessons claim for them.

@Suite("RMSNorm, RoPE, SwiGLU, grouped-query attention")
struct LlamaLayerTests {
    // MARK: RMSNorm

    @Test func rmsNormByHand() throws {
        let norm = try RMSNorm(weight: Tensor([1, 2]), epsilon: 1e-5)
        // [3, 4]: mean square (9 + 16) / 2 = 12.5, rms √12.50001 = 3.535535;
        // 3 / 3.535535 = 0.848528, 4 / 3.535535 · 2 = 2.262741.
        // [0, 0]: ε keeps it 0 instead of 0/0.
        let y = try norm(Tensor([[3, 4], [0, 0]]))
        expectAllClose(y, try Tensor([[0.848528, 2.262741], [0, 0]]), tolerance: 1e-6)
        // Unlike LayerNorm nothing is centred: a constant row stays constant (LayerNorm gives 0s),
        // and only the size is normalised, so 10·x and x come out the same.
        let plain = RMSNorm(size: 3)
        expectAllClose(try plain(Tensor([5, 5, 5])), Tensor([1, 1, 1]), tolerance: 1e-6)
        #expect(try LayerNorm(size: 3)(Tensor([5, 5, 5])) == Tensor([0, 0, 0]))
        // (With ε = 0: ε shrinks rows whose mean square is small by about ε / (2 · mean square).)
        let six = try RMSNorm(weight: Tensor.ones([6]), epsilon: 0), x = randomTensor([2, 4, 6], seed: 31)
        expectAllClose(try six(x * 10), try six(x), tolerance: 1e-6)
        // Every output row has root mean square 1 (with g = 1).
        let rows = try six(x)
        for r in 0..<8 {
            let row = rows.scalars[(r * 6)..<(r * 6 + 6)]
            #expect(abs((row.map { $0 * $0 }.reduce(0, +) / 6).squareRoot() - 1) < 1e-6)
        }
        #expect(norm.parameters.map(\.name) == ["weight"] && norm.parameterCount == 2)
    }

    @Test func rmsNormRejectsBadShapes() throws {
        let norm = RMSNorm(size: 4)
        let error = try #require(throws: TensorError.self) { try norm(Tensor.zeros([2, 3])) }
        #expect(error.description.contains("[2, 3]") && error.description.contains("[4]"))
        #expect(throws: TensorError.self) { try RMSNorm(weight: Tensor.zeros([2, 2])) }
        #expect(throws: TransformerError.self) { try RMSNorm(weight: Tensor([1]), epsilon: -1) }
        #expect(throws: TransformerError.self) { try RMSNorm(weight: Tensor([1]), epsilon: .nan) }
    }

    // MARK: RoPE

    @Test func ropeRotatesAdjacentPairsByPositionTimesFrequency() throws {
        let pair = try RotaryPositionEmbedding(headDimension: 2)
        #expect(pair.frequencies == [1])
        // [1, 0] at positions 0, 1, 2 is the point at angle 0, 1, 2 radians on the unit circle.
        let turned = try pair(Tensor([[1, 0], [1, 0], [1, 0]]))
        expectAllClose(turned, try Tensor([[1, 0], [0.540302, 0.841471], [-0.416147, 0.909297]]), tolerance: 1e-6)
        // d_h = 4, base 100: θ = 100^(−0/4) = 1 and 100^(−2/4) = 0.1. At position 5 the second
        // pair, features 2 and 3 (adjacent, not features 1 and 3), turns by 0.5 radians.
        let four = try RotaryPositionEmbedding(headDimension: 4, base: 100)
        #expect(four.frequencies == [1, 0.1])
        let x = try Tensor([[0, 0, 1, 0]])
        expectAllClose(try four(x, startPosition: 5), try Tensor([[0, 0, 0.877583, 0.479426]]), tolerance: 1e-6)
        // Position 0 is no rotation at all.
        let random = randomTensor([3, 2, 4], seed: 32)
        #expect(try four(random.slice(axis: 1, range: 0..<1)) == random.slice(axis: 1, range: 0..<1))
    }

    @Test func ropeKeepsLengthsAndScoresDependOnlyOnTheOffset() throws {
        // By hand, d_h = 2: q = [1, 2], k = [3, −1]. q at m, k at n: q · R((n − m)·1) k.
        // For n − m = −2: R(−2) k = [3 cos 2 − sin 2, −3 sin 2 − cos 2] = [−2.157748, −2.311745],
        // and q · that = −2.157748 − 4.623490 = −6.781238… (−6.781229 in double precision).
        let rope = try RotaryPositionEmbedding(headDimension: 2)
        func score(_ m: Int, _ n: Int, _ rope: RotaryPositionEmbedding, _ q: Tensor, _ k: Tensor) throws -> Float {
            let rq = try rope(q.reshaped([1, q.count]), startPosition: m)
            let rk = try rope(k.reshaped([1, k.count]), startPosition: n)
            return zip(rq.scalars, rk.scalars).map { $0 * $1 }.reduce(0, +)
        }
        for (m, n) in [(3, 1), (7, 5), (102, 100)] {
            #expect(abs(try score(m, n, rope, Tensor([1, 2]), Tensor([3, -1])) - -6.781229) < 1e-4, "m \(m), n \(n)")
        }
        // The same at SmolLM2's size (d_h 64, base 100000) with random vectors, and lengths kept.
        let wide = try RotaryPositionEmbedding(headDimension: 64, base: 100_000)
        let q = randomTensor([64], seed: 33), k = randomTensor([64], seed: 34)
        let near = try score(10, 4, wide, q, k), far = try score(506, 500, wide, q, k)
        #expect(abs(near - far) < 1e-4 * max(1, abs(near)), "\(near) vs \(far)")
        #expect(abs(near - (try score(4, 10, wide, q, k))) > 1e-2)   // the sign of the offset matters
        let many = randomTensor([9, 12, 64], seed: 35)
        let rotated = try wide(many, startPosition: 3)
        for row in 0..<(9 * 12) {
            let before = many.scalars[(row * 64)..<(row * 64 + 64)].map { $0 * $0 }.reduce(0, +)
            let after = rotated.scalars[(row * 64)..<(row * 64 + 64)].map { $0 * $0 }.reduce(0, +)
            #expect(abs(after.squareRoot() - before.squareRoot()) < 1e-5 * before.squareRoot())
        }
        // Rows of each head are positions start, start + 1, …: the same as rotating one longer run.
        let longer = try wide(many.slice(axis: 1, range: 0..<12), startPosition: 0)
        let alone = try wide(many.slice(axis: 1, range: 5..<12), startPosition: 5)
        #expect(alone == (try longer.slice(axis: 1, range: 5..<12)))
    }

    @Test func ropeRejectsBadSizes() throws {
        #expect(throws: TransformerError.self) { try RotaryPositionEmbedding(headDimension: 3) }
        #expect(throws: TransformerError.self) { try RotaryPositionEmbedding(headDimension: 0) }
        #expect(throws: TransformerError.self) { try RotaryPositionEmbedding(headDimension: 4, base: 1) }
        #expect(throws: TransformerError.self) { try RotaryPositionEmbedding(headDimension: 4, base: .infinity) }
        let rope = try RotaryPositionEmbedding(headDimension: 4)
        #expect(throws: TensorError.self) { try rope(Tensor.zeros([3, 6])) }
        #expect(throws: TensorError.self) { try rope(Tensor.zeros([4])) }
        #expect(throws: TransformerError.self) { try rope(Tensor.zeros([3, 4]), startPosition: -1) }
    }

    // MARK: SwiGLU

    @Test func swiGLUByHand() throws {
        // x = [1, 2]; x W_gate = 1, SiLU(1) = 1 / (1 + e^−1) = 0.731059; x W_up = 2;
        // gated 1.462117; W_down [[1, −1]] gives [1.462117, −1.462117].
        let ffn = try SwiGLUFeedForward(gate: Linear(weight: Tensor([[1], [0]])), up: Linear(weight: Tensor([[0], [1]])),
                                        down: Linear(weight: Tensor([[1, -1]])))
        #expect(ffn.modelDimension == 2 && ffn.hiddenDimension == 1)
        expectAllClose(try ffn(Tensor([[1, 2]])), try Tensor([[1.462117, -1.462117]]), tolerance: 1e-6)
        // A closed gate lets nothing through, however large the value: SiLU(0) = 0.
        #expect(try ffn(Tensor([[0, 50]])) == Tensor([[0, 0]]))
        expectAllClose(Tensor([-1, 0, 1, 20]).silu(), Tensor([-0.268941, 0, 0.731059, 20]), tolerance: 1e-5)
        #expect(ffn.parameters.map(\.name) == ["gate.weight", "up.weight", "down.weight"])
        #expect(throws: TensorError.self) {
            try SwiGLUFeedForward(gate: Linear(weight: Tensor.zeros([2, 3])), up: Linear(weight: Tensor.zeros([2, 4])),
                                  down: Linear(weight: Tensor.zeros([3, 2])))
        }
        #expect(throws: TensorError.self) {
            try SwiGLUFeedForward(gate: Linear(weight: Tensor.zeros([2, 3])), up: Linear(weight: Tensor.zeros([2, 3])),
                                  down: Linear(weight: Tensor.zeros([2, 3])))
        }
    }

    // MARK: Grouped-query attention

    static func linear(_ inputs: Int, _ outputs: Int, seed: UInt64, bias: Bool = true) throws -> Linear {
        try Linear(weight: randomTensor([inputs, outputs], seed: seed), bias: bias ? randomTensor([outputs], seed: seed + 100) : nil)
    }

    @Test func groupedQueryWithAllHeadsIsPlainMultiHeadBitForBit() throws {
        let (q, k, v, o) = try (Self.linear(8, 8, seed: 41), Self.linear(8, 8, seed: 42),
                                Self.linear(8, 8, seed: 43), Self.linear(8, 8, seed: 44))
        let plain = try MultiHeadAttention(query: q, key: k, value: v, output: o, heads: 4)
        let grouped = try MultiHeadAttention(query: q, key: k, value: v, output: o, heads: 4, keyValueHeads: 4)
        #expect(plain.keyValueHeads == 4 && grouped.keyValueHeads == 4 && plain.rotary == nil)
        for (x, mask) in [(randomTensor([5, 8], seed: 45), causalMask(size: 5)),
                          (randomTensor([2, 5, 8], seed: 46), paddingMask(lengths: [3, 5], length: 5))] {
            let a = try plain(x, mask: mask), b = try grouped(x, mask: mask)
            #expect(a.output == b.output && a.weights == b.weights)
            #expect(a.stages.key == b.stages.key && a.stages.scores == b.stages.scores)
        }
    }

    @Test func groupedQueryByHand() throws {
        // d = 2, two query heads of one feature each, one shared key/value head.
        // W_Q = I: head 0 asks with feature 0, head 1 with feature 1. W_K = [1, 0]ᵀ, W_V = [1, 2]ᵀ:
        // for x = [[1, 0], [0, 1]] the keys are [1, 0] and the values [1, 2].
        // Head 0, token 0: q = 1, scores [1, 0] → weights [e/(e+1), 1/(e+1)] = [0.731059, 0.268941],
        // output 0.731059 + 2 · 0.268941 = 1.268941. Token 1: q = 0, scores [0, 0] → [0.5, 0.5], 1.5.
        // Head 1 is the mirror image: token 0 has q = 0, token 1 has q = 1.
        let identity = try Linear(weight: Tensor([[1, 0], [0, 1]]))
        let attention = try MultiHeadAttention(query: identity, key: Linear(weight: Tensor([[1], [0]])),
                                               value: Linear(weight: Tensor([[1], [2]])), output: identity,
                                               heads: 2, keyValueHeads: 1)
        #expect(attention.keyValueHeads == 1 && attention.headDimension == 1)
        let result = try attention(Tensor([[1, 0], [0, 1]]))
        expectAllClose(result.weights, try Tensor(shape: [2, 2, 2], scalars: [0.731059, 0.268941, 0.5, 0.5,
                                                                             0.5, 0.5, 0.731059, 0.268941]),
                       tolerance: 1e-6)
        expectAllClose(result.output, try Tensor([[1.268941, 1.5], [1.5, 1.268941]]), tolerance: 1e-6)
        // Both query heads read the same (repeated) key head.
        #expect(result.stages.key == (try Tensor(shape: [2, 2, 1], scalars: [1, 0, 1, 0])))
    }

    @Test func groupedQueryEqualsMultiHeadWithCopiedKeyValueColumns() throws {
        // 6 query heads in 2 groups of 3: the same as plain MHA whose W_K and W_V give heads
        // 0, 1, 2 the columns of kv head 0 and heads 3, 4, 5 those of kv head 1.
        let d = 12, dh = 2
        let q = try Self.linear(d, d, seed: 51), o = try Self.linear(d, d, seed: 52)
        let k = try Self.linear(d, 2 * dh, seed: 53), v = try Self.linear(d, 2 * dh, seed: 54)
        func copied(_ layer: Linear) throws -> Linear {
            let groups = try (0..<2).map { try layer.weight.slice(axis: 1, range: ($0 * dh)..<($0 * dh + dh)) }
            let biases = try (0..<2).map { try layer.bias!.slice(axis: 0, range: ($0 * dh)..<($0 * dh + dh)) }
            return try Linear(weight: Tensor.concatenate([groups[0], groups[0], groups[0], groups[1], groups[1], groups[1]], axis: 1),
                              bias: Tensor.concatenate([biases[0], biases[0], biases[0], biases[1], biases[1], biases[1]], axis: 0))
        }
        let grouped = try MultiHeadAttention(query: q, key: k, value: v, output: o, heads: 6, keyValueHeads: 2)
        let plain = try MultiHeadAttention(query: q, key: copied(k), value: copied(v), output: o, heads: 6)
        let x = randomTensor([5, d], seed: 55)
        let a = try grouped(x, mask: causalMask(size: 5)), b = try plain(x, mask: causalMask(size: 5))
        expectAllClose(a.weights, b.weights, tolerance: 1e-6)
        expectAllClose(a.output, b.output, tolerance: 1e-5)
        #expect(grouped.parameterCount == 2 * (d * d + d) + 2 * (d * 2 * dh + 2 * dh))
    }

    @Test func rotaryAttentionScoresDependOnTheDistance() throws {
        // The same token at every position: without positions every score in a row would be
        // equal; with RoPE query i's score for key j depends only on i − j.
        let rope = try RotaryPositionEmbedding(headDimension: 4, base: 100)
        let attention = try MultiHeadAttention(query: Self.linear(8, 8, seed: 61, bias: false), key: Self.linear(8, 4, seed: 62, bias: false),
                                               value: Self.linear(8, 4, seed: 63, bias: false), output: Self.linear(8, 8, seed: 64, bias: false),
                                               heads: 2, keyValueHeads: 1, rotary: rope)
        let row = randomTensor([1, 8], seed: 65)
        let x = try Tensor.concatenate(Array(repeating: row, count: 6), axis: 0)   // (6, 8)
        let scores = try attention(x, mask: causalMask(size: 6)).stages.scores     // (2, 6, 6)
        for head in 0..<2 {
            for i in 1..<6 {
                for j in 0..<i {
                    let here = weightRow(scores, [head], row: i)[j], diagonal = weightRow(scores, [head], row: i - j)[0]
                    #expect(abs(here - diagonal) < 1e-4, "head \(head), query \(i), key \(j)")
                }
            }
            #expect(abs(weightRow(scores, [head], row: 5)[0] - weightRow(scores, [head], row: 5)[5]) > 1e-3)
        }
    }

    @Test func groupedQueryRejectsBadSizes() throws {
        let square = try Self.linear(8, 8, seed: 1), narrow = try Self.linear(8, 4, seed: 2)
        #expect(throws: TransformerError.self) {   // 3 kv heads do not divide 4 query heads
            try MultiHeadAttention(query: square, key: narrow, value: narrow, output: square, heads: 4, keyValueHeads: 3)
        }
        let shape = try #require(throws: TransformerError.self) {   // 2 kv heads of 2 features need [8, 4]
            try MultiHeadAttention(query: square, key: square, value: narrow, output: square, heads: 4, keyValueHeads: 2)
        }
        #expect(shape.description.contains("MultiHeadAttention.key") && shape.description.contains("[8, 4]"))
        #expect(throws: TransformerError.self) {
            try MultiHeadAttention(query: square, key: narrow, value: narrow, output: square, heads: 4, keyValueHeads: 2,
                                   rotary: RotaryPositionEmbedding(headDimension: 4))
        }
        // The trainable twin computes plain multi-head attention only, so it refuses the others.
        let grouped = try MultiHeadAttention(query: square, key: narrow, value: narrow, output: square, heads: 4, keyValueHeads: 2)
        #expect(throws: TransformerError.self) { try TrainableMultiHeadAttention(grouped) }
        #expect(throws: TensorError.self) { try Tensor.zeros([2, 3]).repeatingHeads(2) }
        let heads = try Tensor(shape: [2, 1, 1], scalars: [7, 9]).repeatingHeads(3)
        #expect(heads == (try Tensor(shape: [6, 1, 1], scalars: [7, 7, 7, 9, 9, 9])))
    }

    // MARK: The composed model

    /// A tiny random Llama: vocabulary 11, d 8, 4 query heads over 2 kv heads, SwiGLU 12, 2 layers.
    static func tinyLlama(tied: Bool = true) throws -> LlamaReferenceModel {
        var generator = SeededGenerator(seed: 70)
        let rope = try RotaryPositionEmbedding(headDimension: 2, base: 10_000)
        let layers = try (0..<2).map { _ in
            try LlamaDecoderLayer(
                attentionNorm: RMSNorm(weight: Tensor.randomUniform([8], in: 0.5...1.5, using: &generator)),
                attention: MultiHeadAttention(
                    query: Linear(inputSize: 8, outputSize: 8, bias: false, using: &generator),
                    key: Linear(inputSize: 8, outputSize: 4, bias: false, using: &generator),
                    value: Linear(inputSize: 8, outputSize: 4, bias: false, using: &generator),
                    output: Linear(inputSize: 8, outputSize: 8, bias: false, using: &generator),
                    heads: 4, keyValueHeads: 2, rotary: rope),
                feedForwardNorm: RMSNorm(size: 8),
                feedForward: SwiGLUFeedForward(modelDimension: 8, hiddenDimension: 12, using: &generator))
        }
        let embedding = Embedding(vocabularySize: 11, dimension: 8, standardDeviation: 1, using: &generator)
        return try LlamaReferenceModel(tokenEmbedding: embedding, layers: layers, finalNorm: RMSNorm(size: 8),
                                       outputProjection: tied ? nil : Linear(inputSize: 8, outputSize: 11, bias: false, using: &generator))
    }

    @Test func tinyLlamaIsCausalAndRecordsItsTrace() throws {
        let model = try Self.tinyLlama()
        let ids = [3, 1, 4, 1, 5, 9]
        let full = try model.forward(ids, tokens: ids.map { "t\($0)" }, recordTrace: true)
        #expect(full.logits.shape == [6, 11])
        // Causal: a prefix gives exactly the first rows of the full run.
        let prefix = try model.forward(Array(ids.prefix(3))).logits
        expectAllClose(prefix, try full.logits.slice(axis: 0, range: 0..<3), tolerance: 1e-5)
        // The tied output is the final hidden state times the token table transposed.
        expectAllClose(full.logits, try full.hiddenStates.matmul(model.tokenEmbedding.weight.transposed()), tolerance: 1e-6)
        let trace = try #require(full.trace)
        #expect(trace.architecture == "decoder-only" && trace.entries.count == 2 * 4)
        #expect(trace.entries[0].queryTokens == ["t3", "t1", "t4", "t1", "t5", "t9"])
        for entry in trace.entries {
            for (i, row) in entry.weights.enumerated() {
                #expect(abs(row.reduce(0, +) - 1) < 1e-5)
                #expect(row[(i + 1)...].allSatisfy { $0 == 0 })
            }
        }
        // Weights: embedding 11·8; per layer two norms 8, W_Q and W_O 8·8, W_K and W_V 8·4,
        // three SwiGLU matrices 8·12; final norm 8. The tied output adds nothing; an own one 8·11.
        #expect(model.parameterCount == 11 * 8 + 2 * (2 * 8 + 2 * 64 + 2 * 32 + 3 * 96) + 8)
        #expect(try Self.tinyLlama(tied: false).parameterCount == model.parameterCount + 8 * 11)
        #expect(model.parameters.map(\.name).contains("layers.1.feedForward.down.weight"))
    }

    @Test func tinyLlamaRejectsBadInput() throws {
        let model = try Self.tinyLlama()
        #expect(throws: TransformerError.tokenOutOfRange(id: 11, sequence: nil, position: 1, vocabularySize: 11)) {
            try model.forward([0, 11])
        }
        #expect(throws: TransformerError.self) { try model.forward([]) }
        #expect(throws: TransformerError.self) { try model.forward([1, 2], tokens: ["a"]) }
        #expect(throws: TransformerError.self) {
            try LlamaReferenceModel(tokenEmbedding: Embedding(weight: Tensor.zeros([11, 6])), layers: model.layers,
                                    finalNorm: RMSNorm(size: 6), outputProjection: nil)
        }
        #expect(throws: TransformerError.self) {
            try LlamaDecoderLayer(attentionNorm: RMSNorm(size: 6), attention: model.layers[0].attention,
                                  feedForwardNorm: RMSNorm(size: 8), feedForward: model.layers[0].feedForward)
        }
    }
}
