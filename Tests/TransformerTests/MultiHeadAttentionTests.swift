import Testing
import TensorCore
@testable import Transformer

@Suite("Multi-head attention")
struct MultiHeadAttentionTests {
    /// A d → d layer with random weight and a non-zero random bias, so the test sees biases at work.
    static func randomLinear(_ d: Int, seed: UInt64) throws -> Linear {
        try Linear(weight: randomTensor([d, d], seed: seed), bias: randomTensor([d], seed: seed + 100))
    }

    static func attention(d: Int, heads: Int) throws -> MultiHeadAttention {
        try MultiHeadAttention(query: randomLinear(d, seed: 1), key: randomLinear(d, seed: 2),
                               value: randomLinear(d, seed: 3), output: randomLinear(d, seed: 4), heads: heads)
    }

    /// Multi-head attention spelled out: h separate heads, each with its own columns of W_Q, W_K,
    /// W_V (and of their biases), concatenated and multiplied by W_O, plus b_O.
    static func byHand(_ mha: MultiHeadAttention, query x: Tensor, keyValue y: Tensor, mask: Tensor?) throws
        -> (output: Tensor, weights: [Tensor]) {
        let dh = mha.modelDimension / mha.heads
        var outputs: [Tensor] = [], weights: [Tensor] = []
        for head in 0..<mha.heads {
            let columns = (head * dh)..<((head + 1) * dh)
            func project(_ input: Tensor, _ layer: Linear) throws -> Tensor {
                let w = try layer.weight.slice(axis: 1, range: columns)      // (d, d_h)
                let b = try layer.bias!.slice(axis: 0, range: columns)       // (d_h)
                return try input.matmul(w) + b                               // (T, d_h)
            }
            let stages = try scaledDotProductAttention(query: project(x, mha.query), key: project(y, mha.key),
                                                       value: project(y, mha.value), mask: mask)
            outputs.append(stages.output)
            weights.append(stages.weights)
        }
        let concatenated = try Tensor.concatenate(outputs, axis: 1)           // (T_q, d)
        return (try concatenated.matmul(mha.output.weight) + mha.output.bias!, weights)
    }

    @Test("equals h single-head attentions computed by hand", arguments: [(d: 6, heads: 3), (d: 8, heads: 2), (d: 4, heads: 1), (d: 8, heads: 8)])
    func matchesSeparateHeads(d: Int, heads: Int) throws {
        let mha = try Self.attention(d: d, heads: heads)
        let x = randomTensor([5, d], seed: 20)
        for mask in [nil, causalMask(size: 5)] {
            let result = try mha(x, mask: mask)
            let expected = try Self.byHand(mha, query: x, keyValue: x, mask: mask)
            expectAllClose(result.output, expected.output, tolerance: 1e-5)
            #expect(result.weights.shape == [heads, 5, 5])
            for head in 0..<heads {
                let ours = try result.weights.slice(axis: 0, range: head..<(head + 1)).reshaped([5, 5])
                expectAllClose(ours, expected.weights[head], tolerance: 1e-5, "head \(head)")
            }
        }
    }

    @Test func crossAttentionFollowsTheQueryLength() throws {
        let mha = try Self.attention(d: 6, heads: 3)
        let decoder = randomTensor([2, 6], seed: 21)   // T_q = 2
        let encoder = randomTensor([7, 6], seed: 22)   // T_k = 7
        let result = try mha(query: decoder, keyValue: encoder)
        #expect(result.output.shape == [2, 6])
        #expect(result.weights.shape == [3, 2, 7])
        let expected = try Self.byHand(mha, query: decoder, keyValue: encoder, mask: nil)
        expectAllClose(result.output, expected.output, tolerance: 1e-5)
        // Batched: [B, T_q, d] over [B, T_k, d].
        let batched = try mha(query: randomTensor([4, 2, 6], seed: 23), keyValue: randomTensor([4, 7, 6], seed: 24))
        #expect(batched.output.shape == [4, 2, 6])
        #expect(batched.weights.shape == [4, 3, 2, 7])
    }

    @Test func batchedPaddingMaskHidesPadKeysInEveryHead() throws {
        let mha = try Self.attention(d: 8, heads: 4)
        let x = randomTensor([2, 5, 8], seed: 25)
        let lengths = [2, 5]
        let result = try mha(x, mask: paddingMask(lengths: lengths, length: 5))
        #expect(result.weights.shape == [2, 4, 5, 5])
        for (sequence, length) in lengths.enumerated() {
            for head in 0..<4 {
                for query in 0..<5 {
                    let row = weightRow(result.weights, [sequence, head], row: query)
                    #expect(row[length...].allSatisfy { $0 == 0 })
                    #expect(abs(row.reduce(0, +) - 1) < 1e-6)
                }
            }
        }
        // Sequence 0 with padding gives the real tokens the same output as running its two
        // tokens alone.
        let alone = try mha(x.slice(axis: 0, range: 0..<1).reshaped([5, 8]).slice(axis: 0, range: 0..<2))
        let padded = try result.output.slice(axis: 0, range: 0..<1).reshaped([5, 8]).slice(axis: 0, range: 0..<2)
        expectAllClose(padded, alone.output, tolerance: 1e-5)
        // A [1, 1, 1, T] mask also fits unbatched input.
        let single = try mha(randomTensor([3, 8], seed: 26), mask: paddingMask(lengths: [2], length: 3))
        #expect((0..<3).allSatisfy { weightRow(single.weights, [1], row: $0)[2] == 0 })
    }

    @Test func invalidSizesThrowAtInit() throws {
        var generator = SeededGenerator(seed: 1)
        let error = try #require(throws: TransformerError.self) {
            try MultiHeadAttention(modelDimension: 10, heads: 4, using: &generator)
        }
        #expect(error.description.contains("modelDimension 10 is not divisible by 4 heads"))
        #expect(throws: TransformerError.self) { try MultiHeadAttention(modelDimension: 8, heads: 0, using: &generator) }
        #expect(throws: TransformerError.self) {
            try MultiHeadAttention(query: Self.randomLinear(4, seed: 1), key: Self.randomLinear(4, seed: 1),
                                   value: Linear(weight: Tensor.zeros([4, 2])), output: Self.randomLinear(4, seed: 1),
                                   heads: 2)
        }
        let mha = try MultiHeadAttention(modelDimension: 8, heads: 2, using: &generator)
        #expect(mha.headDimension == 4)
        #expect(mha.parameters.map(\.name) == ["query.weight", "query.bias", "key.weight", "key.bias",
                                               "value.weight", "value.bias", "output.weight", "output.bias"])
        #expect(mha.parameterCount == 4 * (8 * 8 + 8))
        // Query and key/value that disagree on the batch axes throw, naming both shapes.
        let mismatch = try #require(throws: TensorError.self) {
            try mha(query: Tensor.zeros([2, 3, 8]), keyValue: Tensor.zeros([3, 3, 8]))
        }
        #expect(mismatch.description.contains("[2, 3, 8]") && mismatch.description.contains("[3, 3, 8]"))
    }
}
