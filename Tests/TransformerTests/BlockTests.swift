import Testing
import TensorCore
@testable import Transformer

@Suite("Encoder and decoder layers")
struct BlockTests {
    static func encoderLayer(_ placement: NormPlacement, seed: UInt64 = 30) throws -> EncoderLayer {
        var generator = SeededGenerator(seed: seed)
        return try EncoderLayer(modelDimension: 8, heads: 2, feedForwardDimension: 16, activation: .gelu,
                                normPlacement: placement, using: &generator)
    }

    @Test("the encoder layer is the residual formula of its placement", arguments: NormPlacement.allCases)
    func encoderLayerFormula(placement: NormPlacement) throws {
        let layer = try Self.encoderLayer(placement)
        let x = randomTensor([2, 5, 8], seed: 31)
        let mask = paddingMask(lengths: [5, 3], length: 5)
        let result = try layer(x, mask: mask)
        // Written out with the public pieces.
        let expected: Tensor
        switch placement {
        case .post:
            let h = try layer.attentionNorm(x + layer.attention(x, mask: mask).output)
            expected = try layer.feedForwardNorm(h + layer.feedForward(h))
        case .pre:
            let h = try x + layer.attention(layer.attentionNorm(x), mask: mask).output
            expected = try h + layer.feedForward(layer.feedForwardNorm(h))
        }
        expectAllClose(result.output, expected, tolerance: 1e-5)
        #expect(result.attention.weights.shape == [2, 2, 5, 5])
        if placement == .post {
            // Post-norm output is layer-normalised: every token has mean 0.
            for row in try result.output.reshaped([10, 8]).rows {
                #expect(abs(row.reduce(0, +) / 8) < 1e-5)
            }
        }
    }

    @Test func preAndPostNormDifferOnTheSameWeights() throws {
        // Same seed → the same weights; only the placement differs.
        let pre = try Self.encoderLayer(.pre), post = try Self.encoderLayer(.post)
        #expect(pre.attention.query.weight == post.attention.query.weight)
        #expect(pre.feedForward.contract.weight == post.feedForward.contract.weight)
        let x = randomTensor([4, 8], seed: 32)
        let a = try pre(x).output, b = try post(x).output
        let largest = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
        #expect(largest > 0.1)

        // The same holds for whole models: one seed, two placements, different logits.
        var config = TransformerConfiguration.tiny
        config.normPlacement = .post
        let postModel = try DecoderOnlyModel(configuration: config, seed: 3)
        config.normPlacement = .pre
        let preModel = try DecoderOnlyModel(configuration: config, seed: 3)
        #expect(postModel.tokenEmbedding.weight == preModel.tokenEmbedding.weight)
        let ids = [1, 5, 9, 2]
        let difference = zip(try preModel.forward(ids).logits.scalars, try postModel.forward(ids).logits.scalars)
            .map { abs($0 - $1) }.max() ?? 0
        #expect(difference > 0.1)
    }

    @Test("the decoder layer is self-attention, cross-attention, feed-forward", arguments: NormPlacement.allCases)
    func decoderLayerFormula(placement: NormPlacement) throws {
        var generator = SeededGenerator(seed: 33)
        let layer = try DecoderLayer(modelDimension: 8, heads: 4, feedForwardDimension: 12, activation: .relu,
                                     normPlacement: placement, using: &generator)
        let target = randomTensor([3, 8], seed: 34)
        let memory = randomTensor([6, 8], seed: 35)
        let causal = causalMask(size: 3)
        let result = try layer(target, memory: memory, selfMask: causal)
        let cross = try #require(layer.crossAttention), crossNorm = try #require(layer.crossAttentionNorm)
        var h = target
        switch placement {
        case .post:
            h = try layer.selfAttentionNorm(h + layer.selfAttention(h, mask: causal).output)
            h = try crossNorm(h + cross(query: h, keyValue: memory).output)
            h = try layer.feedForwardNorm(h + layer.feedForward(h))
        case .pre:
            h = try h + layer.selfAttention(layer.selfAttentionNorm(h), mask: causal).output
            h = try h + cross(query: crossNorm(h), keyValue: memory).output
            h = try h + layer.feedForward(layer.feedForwardNorm(h))
        }
        expectAllClose(result.output, h, tolerance: 1e-5)
        #expect(result.selfAttention.weights.shape == [4, 3, 3])
        #expect(result.crossAttention?.weights.shape == [4, 3, 6])
    }

    @Test func decoderLayerMemoryRules() throws {
        var generator = SeededGenerator(seed: 36)
        let withCross = try DecoderLayer(modelDimension: 4, heads: 2, feedForwardDimension: 8, using: &generator)
        let withoutCross = try DecoderLayer(modelDimension: 4, heads: 2, feedForwardDimension: 8,
                                            crossAttention: false, using: &generator)
        let x = randomTensor([3, 4], seed: 37)
        let missing = try #require(throws: TransformerError.self) { try withCross(x) }
        #expect(missing.description.contains("needs the encoder output"))
        #expect(throws: TransformerError.self) { try withoutCross(x, memory: x) }
        let gpt = try withoutCross(x, selfMask: causalMask(size: 3))
        #expect(gpt.crossAttention == nil && gpt.output.shape == [3, 4])
        #expect(!withoutCross.parameters.contains { $0.name.hasPrefix("crossAttention") })
        #expect(withCross.parameters.contains { $0.name == "crossAttention.key.weight" })
        #expect(throws: TransformerError.self) {
            try EncoderLayer(modelDimension: 4, heads: 2, feedForwardDimension: 0, using: &generator)
        }
    }
}
