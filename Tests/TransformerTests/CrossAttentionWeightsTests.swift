import Testing
import TensorCore
@testable import Transformer
@testable import Training

@Suite struct CrossAttentionWeightsTests {
    @Test func onePerDecoderLayerWithRowsThatSumToOne() throws {
        var configuration = TransformerConfiguration.tiny
        configuration.layers = 2
        let model = try TrainableSeq2Seq(configuration: configuration, sourceVocabularySize: 12,
                                         targetVocabularySize: 10, seed: 5)
        let layers = try model.crossAttentionWeights(source: [4, 5, 6, 7, 8], decoderInput: [1, 4, 5], padID: 0)
        #expect(layers.count == 2)
        for weights in layers {
            #expect(weights.shape == [configuration.heads, 3, 5])
            for head in 0..<configuration.heads {
                for row in 0..<3 {
                    let sum = (0..<5).map { weights[head, row, $0] }.reduce(0, +)
                    #expect(abs(sum - 1) < 1e-5)
                }
            }
        }
        // A pad token in the source gets no cross-attention at all.
        let padded = try model.crossAttentionWeights(source: [4, 5, 0], decoderInput: [1, 4], padID: 0)
        for weights in padded {
            for head in 0..<configuration.heads { for row in 0..<2 { #expect(weights[head, row, 2] == 0) } }
        }
    }
}
